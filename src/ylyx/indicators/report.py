"""The annual report of a plan's indicators: a Chinese A4 PDF (WeasyPrint) and the same as a workbook.

Both renderers take only the plain :class:`~ylyx.indicators.results.PlanTable`, so they are tested
without the indicator engine. Charts are inline SVG built here, because WeasyPrint runs no JavaScript.
The PDF is rendered with a URL fetcher limited to ``file:`` and ``data:`` so nothing is fetched from
the network.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_tasks import task

from ylyx.core.export import safe_cell
from ylyx.core.jobs import contained, task_failed, unlink, update_row, write_atomic

from .results import STATUS_LABELS, IndicatorRow, PlanTable, RegionRow

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static" / "indicators"
CSS_FILE = STATIC_DIR / "report.css"

COMPARATORS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "=", "==": "="}
LOWER_IS_BETTER = {"<=", "<"}
STATUS_ORDER = ("met", "on_track", "behind", "no_data", "not_assessed")
# "not_assessed": a value without a status (no numeric target, or a total whose target is the plan
# region's and so is not judged in a sub-region); the engine reports these as "no_data".
LABELS = {**STATUS_LABELS, "not_assessed": "不评价"}
STATUS_COLOURS = {"met": "#2e7d32", "on_track": "#1565c0", "behind": "#c62828", "no_data": "#9e9e9e",
                  "not_assessed": "#757575"}
KIND_LABELS = {"computed": "系统计算", "reported": "部门填报", "none": "无数据来源"}
BINDING = "约束性"
FONT = "Noto Sans CJK SC"
BAR_CAP = 150.0  # % of target beyond which bars are clipped
BARS_PER_CHART = 22  # an SVG cannot break across pages, so long plans get several charts
REGIONS_PER_TABLE = 6


class ReportError(Exception):
    """A refusal or missing prerequisite, with a Chinese message fit to show the user."""


# ---------------------------------------------------------------------------------------------------
# formatting


def fmt_num(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def fmt_date(d: dt.date | dt.datetime | None) -> str:
    if d is None:
        return "—"
    if isinstance(d, dt.datetime):
        d = timezone.localtime(d) if timezone.is_aware(d) else d
        return f"{d.year}年{d.month}月{d.day}日 {d:%H:%M}"
    return f"{d.year}年{d.month}月{d.day}日"


def target_display(row: IndicatorRow) -> str:
    """"≥95（稳定在95%以上）": the comparator and number, plus the plan's own words when they differ."""
    text = (row.target_text or "").strip()
    if row.target_value is None:
        return text or "—"
    sym = COMPARATORS.get(row.comparator or "", "")
    num = fmt_num(row.target_value)
    out = f"{sym}{num}"
    unit = (row.unit or "").strip()
    if text and text.replace(" ", "") not in (num, out, num + unit, out + unit):
        out += f"（{text}）"
    return out


def value_label(table: PlanTable, year: int) -> str:
    if table.on == dt.date(year, 12, 31):
        return f"{year}年末值"
    return f"截至{fmt_date(table.on)}值"


def attainment(row: IndicatorRow) -> float | None:
    """Value as % of target, turned round for lower-is-better targets; None when not comparable."""
    if row.value is None or row.target_value is None or not applies(row):
        return None
    v, t = row.value, row.target_value
    if row.comparator in LOWER_IS_BETTER:
        if v <= 0:
            return BAR_CAP if t >= 0 else None
        return t / v * 100.0
    if t == 0:
        return 100.0 if v >= 0 else 0.0
    return v / t * 100.0


def shown_status(status: str, value: float | None) -> str:
    return "not_assessed" if status == "no_data" and value is not None else status


def row_key(row: IndicatorRow) -> str:
    """The key breakdown values are indexed by: ``row.key`` from the engine, else the seq."""
    return getattr(row, "key", "") or row.seq


def applies(row: IndicatorRow) -> bool:
    return getattr(row, "target_applies", True)


def is_binding(row: IndicatorRow) -> bool:
    return (row.property or "").strip() == BINDING


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


# ---------------------------------------------------------------------------------------------------
# SVG charts


def _svg_open(w: int, h: int, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="{FONT}" role="img" aria-label="{escape(label)}">')


def bar_chart_svg(rows: list[IndicatorRow]) -> SafeString:
    """One horizontal bar per indicator: the value as % of target, with the target at 100%."""
    w, label_w, x0, x1 = 680, 250, 262, 620
    top, row_h = 26, 22
    h = top + row_h * len(rows) + 8
    scale = (x1 - x0) / BAR_CAP

    def x(p: float) -> float:
        return x0 + min(max(p, 0.0), BAR_CAP) * scale

    parts = [_svg_open(w, h, "各指标完成值占目标值的百分比")]
    for p in (0, 50, 100, 150):
        grid = ('stroke="#c62828" stroke-width="1.2" stroke-dasharray="4 3"' if p == 100
                else 'stroke="#dddddd" stroke-width="0.6"')
        parts.append(f'<line x1="{x(p):.1f}" y1="{top - 4}" x2="{x(p):.1f}" y2="{h - 6}" {grid}/>')
        tick = f"{p}%（目标）" if p == 100 else f"{p}%"
        parts.append(f'<text x="{x(p):.1f}" y="{top - 8}" font-size="9" text-anchor="middle" fill="#555">{tick}</text>')
    for i, row in enumerate(rows):
        y = top + i * row_h
        name = escape(_clip(f"{row.seq} {row.name}", 19))
        parts.append(f'<text x="{label_w}" y="{y + 14}" font-size="9.5" text-anchor="end" fill="#222">{name}</text>')
        pct = attainment(row)
        if pct is None:
            why = "无数据" if row.value is None else ("不评价（总量指标）" if not applies(row) else "无量化目标")
            parts.append(f'<text x="{x0 + 4}" y="{y + 14}" font-size="9" fill="#888">{why}</text>')
            continue
        colour = STATUS_COLOURS.get(shown_status(row.status, row.value), "#9e9e9e")
        bw = max(x(pct) - x0, 1.0)
        parts.append(f'<rect x="{x0}" y="{y + 4}" width="{bw:.1f}" height="13" fill="{colour}" rx="1.5"/>')
        more = "+" if pct > BAR_CAP else ""
        parts.append(f'<text x="{x0 + bw + 4:.1f}" y="{y + 14}" font-size="9" fill="#222">'
                     f'{fmt_num(round(pct, 1))}%{more}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text piece above is escaped


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round axis ticks (1, 2, 2.5 or 5 × 10^k apart) covering lo..hi."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [start]
    while ticks[-1] < hi - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def trend_chart_svg(row: IndicatorRow) -> SafeString | None:
    """Values by year as a line, with the target as a dashed line; None when there is nothing to draw."""
    pts = [(int(y), float(v)) for y, v in row.trend if v is not None]
    if not pts:
        return None
    w, h = 320, 168
    left, right, top, bottom = 46, 14, 14, 26
    years = [y for y, _ in row.trend] + ([row.target_year] if row.target_year else [])
    ymin_x, ymax_x = min(years), max(years)
    if ymin_x == ymax_x:
        ymin_x, ymax_x = ymin_x - 1, ymax_x + 1
    target = row.target_value if applies(row) else None
    vals = [v for _, v in pts] + [v for v in (target,) if v is not None]
    ticks = nice_ticks(min(0.0, min(vals)), max(vals) * 1.08 if max(vals) > 0 else max(vals))
    lo, hi = ticks[0], ticks[-1]

    def px(year: float) -> float:
        return left + (year - ymin_x) / (ymax_x - ymin_x) * (w - left - right)

    def py(v: float) -> float:
        return h - bottom - (v - lo) / (hi - lo) * (h - top - bottom)

    parts = [_svg_open(w, h, f"{row.name} 历年变化")]
    parts.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="#888" stroke-width="0.7"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#888" stroke-width="0.7"/>')
    for v in ticks:
        parts.append(f'<line x1="{left}" y1="{py(v):.1f}" x2="{w - right}" y2="{py(v):.1f}" stroke="#eeeeee" stroke-width="0.6"/>')
        parts.append(f'<text x="{left - 4}" y="{py(v) + 3:.1f}" font-size="8.5" text-anchor="end" fill="#555">'
                     f'{fmt_num(round(v, 2))}</text>')
    span = ymax_x - ymin_x
    step = 1 if span <= 6 else (2 if span <= 12 else 5)
    for yr in range(ymin_x, ymax_x + 1, step):
        parts.append(f'<text x="{px(yr):.1f}" y="{h - bottom + 13}" font-size="8.5" text-anchor="middle" fill="#555">{yr}</text>')
    if target is not None:
        ty = py(target)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{w - right}" y2="{ty:.1f}" stroke="#c62828" '
                     f'stroke-width="1" stroke-dasharray="4 3"/>')
        label = escape(f"目标{COMPARATORS.get(row.comparator or '', '')}{fmt_num(target)}")
        parts.append(f'<text x="{w - right}" y="{ty - 3:.1f}" font-size="8.5" text-anchor="end" fill="#c62828">{label}</text>')
    colour = STATUS_COLOURS.get(shown_status(row.status, row.value), "#1565c0")
    segment: list[str] = []
    segments: list[list[str]] = []
    for y, point in row.trend:  # a missing year breaks the line rather than bridging it
        if point is None:
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{px(y):.1f},{py(float(point)):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
    for y, v in pts:
        parts.append(f'<circle cx="{px(y):.1f}" cy="{py(v):.1f}" r="2.4" fill="{colour}"/>')
    ly, lv = pts[-1]
    parts.append(f'<text x="{px(ly):.1f}" y="{py(lv) - 5:.1f}" font-size="8.5" text-anchor="middle" fill="#222">'
                 f'{fmt_num(lv)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only


# ---------------------------------------------------------------------------------------------------
# the view-model shared by the PDF template and the workbook


def _row_ctx(row: IndicatorRow) -> dict[str, Any]:
    status = shown_status(row.status, row.value)
    return {
        "row": row,
        "baseline": (row.baseline_text or "").strip() or "—",
        "target": target_display(row),
        "target_year": row.target_year or "",
        "value": fmt_num(row.value),
        "milestone": fmt_num(row.milestone),
        "status": status,
        "status_label": LABELS.get(status, status),
        "binding": is_binding(row),
        "property": row.property or "—",
        "departments": "、".join(row.departments) or "—",
    }


def _breakdown_tables(table: PlanTable) -> list[dict[str, Any]]:
    """Indicators down, regions across, in groups of columns that fit a landscape page."""
    regions: list[RegionRow] = list(table.breakdown)
    out = []
    for start in range(0, len(regions), REGIONS_PER_TABLE):
        group = regions[start:start + REGIONS_PER_TABLE]
        lines = []
        for row in table.rows:
            cells = []
            for reg in group:
                value = reg.values.get(row_key(row))
                st = shown_status(reg.statuses.get(row_key(row), "no_data"), value)
                cells.append({"value": fmt_num(value), "status": st, "status_label": LABELS.get(st, st)})
            lines.append({"row": row, "cells": cells})
        out.append({"regions": group, "lines": lines, "col_width": round(64 / max(len(group), 1), 2)})
    return out


def _provenance_ctx(row: IndicatorRow) -> dict[str, Any]:
    p = row.provenance
    return {
        "row": row,
        "kind": KIND_LABELS.get(p.kind, p.kind or "—"),
        "formula": p.formula or "—",
        "numerator": fmt_num(p.numerator),
        "denominator": fmt_num(p.denominator),
        "as_of": fmt_date(p.as_of),
        "reported_by": p.reported_by or "—",
        "reported_at": fmt_date(p.reported_at),
        "note": p.note or "",
    }


def report_context(table: PlanTable, year: int) -> dict[str, Any]:
    rows = list(table.rows)
    counts = {s: sum(1 for r in rows if shown_status(r.status, r.value) == s) for s in STATUS_ORDER}
    behind = [r for r in rows if r.status == "behind"]
    binding_behind = [r for r in behind if is_binding(r)]
    other_behind = [r for r in behind if not is_binding(r)]
    bar_rows = [r for r in rows if r.target_value is not None]
    trends = []
    for r in rows:
        svg = trend_chart_svg(r)
        if svg is not None:
            st = shown_status(r.status, r.value)
            unit = f"（{r.unit}）" if r.unit and f"（{r.unit}）" not in r.name else ""
            trends.append({"row": r, "svg": svg, "status": st, "status_label": LABELS.get(st, st), "unit": unit})
    return {
        "table": table,
        "year": year,
        "generated_on": fmt_date(timezone.localdate()),
        "as_of": fmt_date(table.on),
        "value_label": value_label(table, year),
        "rows": [_row_ctx(r) for r in rows],
        "total": len(rows),
        "counts": [{"status": s, "label": LABELS[s], "n": counts[s]} for s in STATUS_ORDER
                   if s != "not_assessed" or counts[s]],
        "binding_behind": [_row_ctx(r) for r in binding_behind],
        "other_behind": [_row_ctx(r) for r in other_behind],
        "no_data": [_row_ctx(r) for r in rows if shown_status(r.status, r.value) == "no_data"],
        "bar_charts": [bar_chart_svg(bar_rows[i:i + BARS_PER_CHART])
                       for i in range(0, len(bar_rows), BARS_PER_CHART)],
        "trends": trends,
        "breakdown": _breakdown_tables(table),
        "provenance": [_provenance_ctx(r) for r in rows],
        "status_labels": LABELS,
    }


# ---------------------------------------------------------------------------------------------------
# PDF


def render_html(table: PlanTable, year: int) -> str:
    from django.template.loader import render_to_string

    return render_to_string("indicators/report.html", report_context(table, year))


def render_pdf(table: PlanTable, year: int) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"}, timeout=1)  # never the network
    html = HTML(string=render_html(table, year), base_url=str(STATIC_DIR), url_fetcher=fetcher)
    css = CSS(filename=str(CSS_FILE), url_fetcher=fetcher)
    return html.write_pdf(stylesheets=[css])


# ---------------------------------------------------------------------------------------------------
# Excel


def _workbook_sheets(table: PlanTable, year: int) -> list[tuple[str, list[str], list[int], Iterable[list[Any]],
                                                                 Callable[[list[Any]], bool]]]:
    vlabel = value_label(table, year)

    def indicator_rows() -> Iterable[list[Any]]:
        for r in table.rows:
            yield [r.category, r.seq, r.name, r.unit, (r.baseline_text or "").strip(), target_display(r),
                   r.target_value, r.target_year, r.value, r.milestone, LABELS.get(shown_status(r.status, r.value), r.status),
                   r.property, "、".join(r.departments)]

    def breakdown_rows() -> Iterable[list[Any]]:
        for reg in table.breakdown:
            for r in table.rows:
                value = reg.values.get(row_key(r))
                st = shown_status(reg.statuses.get(row_key(r), "no_data"), value)
                yield [reg.region_code, reg.region_name, r.category, r.seq, r.name, r.unit, value, LABELS.get(st, st)]

    def provenance_rows() -> Iterable[list[Any]]:
        for r in table.rows:
            p = r.provenance
            reported_at = p.reported_at
            if reported_at is not None and timezone.is_aware(reported_at):
                reported_at = timezone.localtime(reported_at).replace(tzinfo=None)
            yield [r.seq, r.name, KIND_LABELS.get(p.kind, p.kind), p.formula, p.numerator, p.denominator,
                   p.as_of, p.reported_by, reported_at, p.note]

    behind = STATUS_LABELS["behind"]
    return [
        ("指标", ["类别", "序号", "指标名称", "单位", "基期值", "目标值", "目标数值", "目标年份", vlabel,
                "年度进度目标", "状态", "属性", "责任部门"],
         [10, 7, 40, 9, 16, 24, 10, 9, 14, 12, 10, 8, 24], indicator_rows(), lambda v: v[10] == behind),
        ("分区", ["区划代码", "区划名称", "类别", "序号", "指标名称", "单位", vlabel, "状态"],
         [14, 16, 10, 7, 40, 9, 14, 10], breakdown_rows(), lambda v: v[7] == behind),
        ("口径", ["序号", "指标名称", "来源", "计算公式", "分子", "分母", "数据日期", "填报单位/人", "填报时间", "说明"],
         [7, 40, 10, 36, 12, 12, 12, 18, 18, 30], provenance_rows(), lambda v: False),
    ]


def render_xlsx(table: PlanTable, year: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E79")
    behind_fill = PatternFill("solid", fgColor="F8D7DA")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = safe_cell(f"{table.plan_title} {table.region_name} {year}年度实施情况")
    wb.properties.creator = "ylyx"
    for title, headers, widths, rows, is_behind in _workbook_sheets(table, year):
        ws = wb.create_sheet(title)
        ws.append([safe_cell(h) for h in headers])
        for cell in ws[1]:
            cell.font, cell.fill, cell.border = head_font, head_fill, border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for values in rows:
            ws.append([safe_cell(v) for v in values])
            if is_behind(values):
                for cell in ws[ws.max_row]:
                    cell.fill = behind_fill
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.border = border
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(cell.value, dt.datetime) else "yyyy-mm-dd"
        ws.freeze_panes = "A2"
        if ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------
# producing the files: the task and the ``report`` command


def plan_table_function() -> Callable[..., PlanTable]:
    """The indicator engine's ``plan_table``, found late so this module imports before it exists."""
    for name in ("ylyx.indicators.selectors", "ylyx.indicators.services"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        fn = getattr(module, "plan_table", None)
        if callable(fn):
            return fn
    raise ReportError("指标计算尚未就绪：找不到 ylyx.indicators.selectors.plan_table"
                      "（或 ylyx.indicators.services.plan_table），无法生成年度报告")


def resolve_plan(ref: Any, user: Any = None) -> Any:
    """A plan by primary key or by code, among those the user may view when a user is given."""
    from django.apps import apps

    try:
        plan_model = apps.get_model("indicators", "Plan")
    except LookupError:
        raise ReportError("规划模型尚未就绪（indicators.Plan），无法生成年度报告") from None
    key = str(ref if ref is not None else "").strip()
    if not key:
        raise ReportError("请指定规划（编号或代码）")
    if user is not None:
        qs = plan_model.objects.for_user(user, "view")
    else:
        qs = plan_model.objects.unscoped("the report command run by an operator on the server")
    lookup = {"pk": int(key)} if key.isdigit() else {"code": key}
    plan = qs.filter(**lookup).first()
    if plan is None:
        raise ReportError(f"规划“{key}”不存在或您无权查看")
    return plan


def check_region_in_plan(region: Any, plan: Any) -> None:
    prefix = getattr(plan, "region_prefix", "")
    if prefix and not region.code.startswith(prefix):
        raise ReportError(f"区划“{region.name}”不在规划“{plan}”的范围内")


def check_year(year: Any) -> int:
    try:
        y = int(str(year).strip())
    except (TypeError, ValueError):
        raise ReportError(f"年份“{year}”不是有效的四位年份") from None
    today = timezone.localdate()
    if not 2000 <= y <= today.year:
        raise ReportError(f"年份 {y} 超出范围：应在 2000 至 {today.year} 之间")
    return y


def resolve_region(code: Any, user: Any = None) -> Any:
    """The report's region, refused when it is outside the user's scope."""
    from ylyx.regions.models import Region, normalise_code

    code12 = normalise_code(str(code or ""))
    region = Region.objects.filter(code=code12).first()
    if region is None:
        raise ReportError(f"区划代码“{code}”不存在")
    if user is not None:
        prefix = getattr(user, "region_prefix", "")
        if not prefix or not region.code.startswith(prefix):
            raise ReportError(f"区划“{region.name}”超出您的管辖范围，不能生成其报告")
    return region


def load_user(user_id: Any) -> Any:
    from ylyx.accounts.models import User

    user = User.objects.select_related("region").filter(pk=user_id).first()
    if user is None or not user.is_active:
        raise ReportError("用户不存在或已停用，不能生成报告")
    return user


def check_role(user: Any) -> None:
    from ylyx.core.permissions import allows

    if not allows(user.role, "indicator", "export"):
        raise ReportError("您的角色没有导出指标报告的权限")


def report_paths(out_dir: Path, plan_code: str, region_code: str, year: int) -> tuple[Path, Path]:
    stem = f"{plan_code}-{region_code}-{year}"
    return out_dir / f"{stem}.pdf", out_dir / f"{stem}.xlsx"


Progress = Callable[[int, str], None]


def build_annual_report(plan: Any, region: Any, year: int, out_dir: Path | str | None = None,
                        actor: Any = None, progress: Progress | None = None) -> dict[str, Any]:
    """Compute the plan's table for the year end, render both files, store them and audit the export.

    ``progress(percent, message)`` is called before each slow step, so a page can show where it is.
    """
    from django.conf import settings

    from ylyx.audit.services import record

    step = progress or (lambda percent, message: None)
    plan_table = plan_table_function()
    on = min(dt.date(year, 12, 31), timezone.localdate())
    step(10, "正在计算指标")
    try:
        table = plan_table(plan, region.code, on, with_breakdown=True)
    except ValueError as exc:  # the engine's refusals (unknown region, region outside the plan) are Chinese
        raise ReportError(str(exc)) from exc
    step(60, "正在生成 PDF")
    pdf = render_pdf(table, year)
    step(90, "正在生成 Excel")
    xlsx = render_xlsx(table, year)
    folder = Path(out_dir) if out_dir else Path(settings.VAR_DIR) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    plan_code = table.plan_code or str(getattr(plan, "code", "") or plan.pk)
    pdf_path, xlsx_path = report_paths(folder, plan_code, table.region_code or region.code, year)
    write_atomic(pdf_path, pdf)
    write_atomic(xlsx_path, xlsx)
    record(actor, "export", plan if hasattr(plan, "_meta") else None,
           detail={"report": "annual", "plan": plan_code, "region": region.code, "year": year,
                   "on": on.isoformat(), "indicators": len(table.rows), "regions": len(table.breakdown),
                   "files": [pdf_path.name, xlsx_path.name]})
    return {"status": "done", "progress": 100, "pdf": str(pdf_path), "xlsx": str(xlsx_path),
            "plan": plan_code, "region": region.code, "year": year, "indicators": len(table.rows)}


@task()
def generate_annual_report(plan_id: int | str, region_code: str, year: int, user_id: int,
                           out_dir: str | None = None, job_id: int | None = None) -> dict[str, Any]:
    """Background job behind the "生成年度报告" button; the returned dict is the progress shown.

    With ``job_id`` the :class:`~ylyx.indicators.models.ReportJob` row follows along (progress, files,
    outcome) and the files go to that job's own folder, so two jobs never share a file.
    """
    from ylyx.audit.services import record

    job = JobProgress(job_id)
    user = None
    try:
        job.start()
        user = load_user(user_id)
        check_role(user)
        y = check_year(year)
        region = resolve_region(region_code, user)
        plan = resolve_plan(plan_id, user)
        check_region_in_plan(region, plan)
        folder = out_dir or (str(job_dir(job_id)) if job_id is not None else None)
        result = build_annual_report(plan, region, y, folder, actor=user, progress=job.step)
    except ReportError as exc:
        # An expected refusal: the task ends normally and the page shows the message. Denials by a
        # known user are audited (SEC-AUD-1); anything unexpected still fails the task.
        if user is not None:
            record(user, "export", None, outcome="denied", reason=str(exc),
                   detail={"report": "annual", "plan": str(plan_id), "region": str(region_code),
                           "year": str(year)})
        job.fail(str(exc))
        return {"status": "error", "progress": 0, "message": str(exc)}
    except BaseException:
        job.fail(f"生成报告时发生系统错误，请稍后重试或联系管理员（任务 #{job_id}）")
        raise
    job.done(result)
    return result


# ---------------------------------------------------------------------------------------------------
# report jobs: the web side's record of each request, and the sweeper


def reports_root() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "reports"


def job_dir(job_id: int) -> Path:
    return reports_root() / "jobs" / str(int(job_id))


def retention_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "REPORT_RETENTION_DAYS", 30))


def stored_file(path: str) -> Path | None:
    """A job's stored file, only when it lies under the reports folder (paths come from the database)."""
    return contained(reports_root(), path)


class JobProgress:
    """Writes a task's progress to its ReportJob row, one UPDATE at a time so a polling page sees each step.

    A no-op without a job id (the command, or a task enqueued by hand).
    """

    def __init__(self, job_id: int | None):
        self.job_id = job_id

    def _update(self, **fields: Any) -> None:
        from .models import ReportJob

        update_row(ReportJob, self.job_id, unless=(ReportJob.Status.EXPIRED,), **fields)

    def start(self) -> None:
        from .models import ReportJob

        self._update(status=ReportJob.Status.RUNNING, progress=5, message="正在检查权限")

    def step(self, percent: int, message: str) -> None:
        self._update(progress=percent, message=message)

    def done(self, result: dict[str, Any]) -> None:
        from .models import ReportJob

        self._update(status=ReportJob.Status.DONE, progress=100, message="报告已生成", pdf_path=result["pdf"],
                     xlsx_path=result["xlsx"], finished_at=timezone.now())

    def fail(self, message: str) -> None:
        from .models import ReportJob

        self._update(status=ReportJob.Status.ERROR, message=message[:500], finished_at=timezone.now())


REUSE_MINUTES = 15  # a second press while the first job is still queued or running goes to that job


def request_annual_report(user: Any, plan: Any, region: Any, year: int) -> Any:
    """Record the job and hand it to the task backend; the caller has checked role, scope and year.

    The job row is committed before the task is enqueued, so a worker never looks for a job that is
    not there yet; the ImmediateBackend runs the task inside ``enqueue``.
    """
    from django.db import transaction

    from .models import ReportJob

    with transaction.atomic():
        recent = timezone.now() - dt.timedelta(minutes=REUSE_MINUTES)
        job = (ReportJob.objects.unscoped("the requester's own recent job").filter(
            plan=plan, region=region, year=year, requested_by=user,
                                        status__in=ReportJob.IN_PROGRESS, created_at__gte=recent)
               .order_by("-created_at").first())
        if job is not None:
            return job
        job = ReportJob.objects.create(plan=plan, region=region, year=year, requested_by=user,
                                       message="等待后台任务处理")
    try:
        result = generate_annual_report.enqueue(plan.pk, region.code, year, user.pk, job_id=job.pk)
    except Exception:
        JobProgress(job.pk).fail("无法提交后台任务，请稍后重试或联系管理员")
        raise
    ReportJob.objects.unscoped("the job just created").filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def check_task(job: Any) -> Any:
    """A job whose task failed outright (the worker crashed past our handler) is shown as failed."""
    if not job.in_progress or not job.task_id:
        return job
    if task_failed(generate_annual_report, job.task_id):
        JobProgress(job.pk).fail(f"生成报告时发生系统错误，请稍后重试或联系管理员（任务 #{job.pk}）")
        job.refresh_from_db()
    return job


def purge_reports(days: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the files of jobs older than ``days`` and mark those jobs expired (SEC-RI-2 TTL sweeper).

    Job folders left without a job (a deleted plan) are removed once they are as old.
    """
    import shutil

    from ylyx.audit.services import record

    from .models import ReportJob

    days = retention_days() if days is None else days
    if days < 1:
        raise ReportError(f"保存天数应为不小于 1 的整数，收到 {days}")
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    jobs = files = orphans = 0
    for job in ReportJob.objects.unscoped("the sweeper").filter(created_at__lt=cutoff).exclude(status=ReportJob.Status.EXPIRED):
        files += unlink(stored_file(job.pdf_path)) + unlink(stored_file(job.xlsx_path))
        folder = job_dir(job.pk)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        ReportJob.objects.unscoped("the sweeper").filter(pk=job.pk).update(
            status=ReportJob.Status.EXPIRED, pdf_path="", xlsx_path="",
            message=f"报告文件已超过保存期限（{days} 天）并已删除，如需要请重新生成",
            finished_at=job.finished_at or now)
        jobs += 1
    parent = reports_root() / "jobs"
    if parent.is_dir():
        live = {str(pk) for pk in ReportJob.objects.unscoped("the sweeper").exclude(status=ReportJob.Status.EXPIRED)
                .values_list("pk", flat=True)}
        for folder in parent.iterdir():
            if folder.is_dir() and folder.name not in live and folder.stat().st_mtime < cutoff.timestamp():
                files += sum(1 for f in folder.rglob("*") if f.is_file())
                shutil.rmtree(folder)
                orphans += 1
    if jobs or files or orphans:
        record(None, "report_purge", None, reason=f"年度报告文件超过保存期限（{days} 天）",
               detail={"days": days, "jobs": jobs, "files": files, "orphan_folders": orphans})
    return {"jobs": jobs, "files": files, "orphans": orphans}
