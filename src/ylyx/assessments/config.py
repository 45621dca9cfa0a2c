"""Configurable values of the assessment module ([U]/[S] in standards.md §1.1; docs/standards-config.md).

Override in settings with ``ASSESSMENT = {...}``; the defaults are here so the module works without them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .scoring import Config

DEFAULTS: dict[str, Any] = {
    "coma_level": 4,  # C.4 完全失能 (the B.3.9 note says 重度失能 = 3) [U]
    "stack_adjustments": False,  # dementia + care-risk rules: one step in total [U]
    "risk_threshold": 2,  # [V]
    "reassess_months": 12,  # re-assessment interval [U]
    "due_warn_days": 30,  # re-assessments due within this many days appear on the to-do list
    "assessors_required": 2,  # two qualified assessors sign [U]
}


def get(key: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "ASSESSMENT", {})}[key]


def scoring_config() -> Config:
    return Config(coma_level=int(get("coma_level")), stack=bool(get("stack_adjustments")),
                  risk_threshold=int(get("risk_threshold")))
