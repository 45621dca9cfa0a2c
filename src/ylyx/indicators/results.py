"""The shape of computed plan results, shared by the dashboard, the CLI/API and the annual report.

Plain dataclasses so the report and export code need no Django models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Provenance:
    kind: str  # "computed" | "reported" | "none"
    formula: str = ""  # e.g. "护理型床位 ÷ 养老机构床位 × 100"
    numerator: float | None = None
    denominator: float | None = None
    as_of: dt.date | None = None
    reported_by: str = ""  # department / user for reported values
    reported_at: dt.datetime | None = None
    note: str = ""


@dataclass
class IndicatorRow:
    seq: str
    category: str
    name: str
    unit: str
    property: str  # 约束性 / 预期性 / ""
    baseline_text: str | None
    target_text: str | None
    target_value: float | None
    comparator: str | None
    target_year: int | None
    value: float | None
    milestone: float | None  # expected value for the date on the path from baseline to target
    status: str  # "met" | "on_track" | "behind" | "no_data"
    provenance: Provenance
    trend: list[tuple[int, float | None]] = field(default_factory=list)  # (year, value)
    departments: list[str] = field(default_factory=list)
    # Added by the engine (optional, defaults keep older callers working):
    # The key RegionRow.values/statuses are indexed by: the seq itself, except in a plan whose seq repeats
    # across categories (雅安), where it is "类别-序号". Look breakdown values up with row.key.
    key: str = ""
    target_applies: bool = True  # False: a total whose target is the plan region's, shown but not assessed here
    kind: str = ""  # "computed" (registry formula) | "reported" (department figures)


@dataclass
class RegionRow:
    region_code: str
    region_name: str
    values: dict[str, float | None]  # indicator seq → value
    statuses: dict[str, str]  # indicator seq → status


@dataclass
class PlanTable:
    plan_code: str
    plan_title: str
    region_code: str
    region_name: str
    on: dt.date
    rows: list[IndicatorRow]
    breakdown: list[RegionRow] = field(default_factory=list)  # the regions one level below


STATUS_LABELS = {"met": "达标", "on_track": "进度正常", "behind": "滞后", "no_data": "无数据"}
