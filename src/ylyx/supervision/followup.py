"""Risk-based follow-up: when an institution should next be inspected, from its last outcome.

Plain Python, no Django. Modelled on England's CQC, which re-inspects within about 6 months after an
"inadequate" rating, 12 after "requires improvement" and up to 30 after "good" (the anchor the issue
names); here the outcome of the last inspection sets the base interval, the credit class shortens or
lengthens it, open rectification orders bring a re-inspection forward to just after their deadlines,
and the statutory floor applies: an elderly-care institution is inspected on site at least once a year
(养老机构管理办法 第三十八条, standards.md §3.1 [S]). Every number is configuration
(``settings.SUPERVISION_FOLLOWUP``), none is from a Chinese standard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .credit import add_months


@dataclass(frozen=True)
class FollowupConfig:
    months: Mapping[str, int] = field(default_factory=lambda: {"pass": 24, "minor": 12, "fail": 6})
    credit_factor: Mapping[str, str] = field(default_factory=lambda: {"A": "1.25", "B": "1", "C": "0.75",
                                                                      "D": "0.5"})
    floor_months: Mapping[str, int] = field(default_factory=lambda: {"elder": 12})  # by institution kind
    reinspect_after_deadline_days: int = 10  # a re-inspection checks rectification just after its deadline
    min_months: int = 1


def load_config(cfg: Mapping | None) -> FollowupConfig:
    if not cfg:
        return FollowupConfig()
    base = FollowupConfig()
    return FollowupConfig(dict(cfg.get("months", base.months)), dict(cfg.get("credit_factor", base.credit_factor)),
                          dict(cfg.get("floor_months", base.floor_months)),
                          int(cfg.get("reinspect_after_deadline_days", base.reinspect_after_deadline_days)),
                          int(cfg.get("min_months", base.min_months)))


@dataclass(frozen=True)
class NextInspection:
    due: dt.date
    reason: str  # Chinese: which rule set the date


OUTCOME_LABELS = {"pass": "合格", "minor": "基本合格（限期整改）", "fail": "不合格"}


def next_inspection(*, inspected_on: dt.date, outcome: str, credit_class: str, kind: str,
                    open_deadlines: Sequence[dt.date] = (), config: FollowupConfig | None = None) -> NextInspection:
    cfg = config or FollowupConfig()
    if outcome not in cfg.months:
        raise ValueError(f"未知的检查结论：{outcome}")
    factor = Decimal(cfg.credit_factor.get(credit_class, "1"))
    months = max(cfg.min_months, int((Decimal(cfg.months[outcome]) * factor).to_integral_value(ROUND_HALF_UP)))
    reason = f"检查结论“{OUTCOME_LABELS.get(outcome, outcome)}”、信用等级 {credit_class}：{months} 个月后复查"
    floor = cfg.floor_months.get(kind)
    if floor is not None and months > floor:
        months = floor
        reason = f"养老机构每年至少现场检查一次（养老机构管理办法第三十八条）：{floor} 个月内"
    due = add_months(inspected_on, months)
    if open_deadlines:
        rect = max(open_deadlines) + dt.timedelta(days=cfg.reinspect_after_deadline_days)
        if rect < due:
            due = rect
            reason = f"整改期限届满后 {cfg.reinspect_after_deadline_days} 天内复查整改情况"
    return NextInspection(due, reason)
