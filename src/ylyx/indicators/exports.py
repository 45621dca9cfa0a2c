"""A PlanTable as JSON, CSV rows and a workbook: one shape for the CLI, the API and the dashboard export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

from openpyxl import Workbook

from ylyx.core.export import safe_cell

from .formulas import fmt
from .results import STATUS_LABELS, PlanTable

COMPARATOR_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}


def _json(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _json(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json(x) for x in v]
    return v


def table_as_dict(table: PlanTable) -> dict:
    data = dataclasses.asdict(table)
    for row in data["rows"]:
        row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
    return _json(data)


def target_label(comparator: str | None, target: float | None, text: str | None) -> str:
    if target is None:
        return text or "—"
    return f"{COMPARATOR_SIGNS.get(comparator or '', '')}{fmt(target)}"


CSV_HEADERS = ["类别", "序号", "指标名称", "单位", "属性", "基期值", "目标值", "目标年份", "当前值", "年度进度目标",
               "状态", "来源", "计算口径/填报部门", "分子", "分母", "数据日期"]


def plain(v):
    """12276.0 → 12276 in CSV and Excel; other numbers as they are."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def table_rows(table: PlanTable, header: bool = True):
    if header:
        yield CSV_HEADERS
    for r in table.rows:
        p = r.provenance
        source = {"computed": "系统计算", "reported": "部门填报"}.get(p.kind, "无数据")
        yield [r.category, r.seq, r.name, r.unit, r.property, r.baseline_text or "",
               target_label(r.comparator, r.target_value, r.target_text), r.target_year or "", plain(r.value),
               plain(r.milestone), STATUS_LABELS.get(r.status, r.status), source,
               p.formula if p.kind == "computed" else p.reported_by, plain(p.numerator), plain(p.denominator),
               p.as_of.isoformat() if p.as_of else ""]


def table_workbook(table: PlanTable, watermark: str = "") -> bytes:
    """Two sheets: the indicators of the region, and the same indicators for each region one level below."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("指标")
    if watermark:
        ws.append([watermark])
    ws.append([f"{table.plan_title}  {table.region_name}（{table.region_code}）  数据日期 {table.on.isoformat()}"])
    for row in table_rows(table):
        ws.append([safe_cell(v) for v in row])
    if table.breakdown:
        ws2 = wb.create_sheet("下级区划")
        if watermark:
            ws2.append([watermark])
        ws2.append(["区划代码", "区划名称"] + [f"{r.seq} {r.name}" for r in table.rows])
        for reg in table.breakdown:
            ws2.append([reg.region_code, safe_cell(reg.region_name)] + [plain(reg.values.get(r.key)) for r in table.rows])
        ws2.append([])
        ws2.append(["状态"])
        for reg in table.breakdown:
            ws2.append([reg.region_code, safe_cell(reg.region_name)]
                       + [STATUS_LABELS.get(reg.statuses.get(r.key, "no_data"), "") for r in table.rows])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
