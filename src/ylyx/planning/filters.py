"""Filters for planning lists (API)."""

from __future__ import annotations

import django_filters

from .models import DOMAIN_CHOICES, HandoverStatus, Project, ResidentialArea, Stage


def _choice(label, choices):
    return django_filters.ChoiceFilter(label=label, choices=choices, empty_label="全部")


class ProjectFilter(django_filters.FilterSet):
    stage = _choice("阶段", Stage.choices)
    domain = _choice("领域", DOMAIN_CHOICES)

    class Meta:
        model = Project
        fields = ["stage", "domain"]


class ResidentialAreaFilter(django_filters.FilterSet):
    status = _choice("四同步进度", HandoverStatus.choices)

    class Meta:
        model = ResidentialArea
        fields = ["status"]
