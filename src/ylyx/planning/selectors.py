"""Scoped reads for the planning pages."""

from __future__ import annotations

from typing import Any

from ylyx.indicators.models import Plan

from .models import Project, ResidentialArea


def plans_with_norms(user: Any) -> list[Plan]:
    """Plans the user may read that carry demand norms, the most specific region first."""
    qs = Plan.objects.for_user(user, "view").filter(demand_norms__isnull=False).distinct()
    return sorted(qs, key=lambda p: (-len(p.region_prefix), p.code))


def projects_for(user: Any, action: str = "view"):
    return Project.objects.for_user(user, action)  # type: ignore[arg-type]


def areas_for(user: Any, action: str = "view"):
    return ResidentialArea.objects.for_user(user, action)  # type: ignore[arg-type]
