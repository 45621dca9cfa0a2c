"""Workbooks the import pages hand out: blank templates and error reports.

Templates format identity columns as text ("@") so Excel keeps all 18 characters (security.md ID-6);
every text cell we write goes through ``safe_cell`` so nothing is read back as a formula (DJ-12).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ylyx.core.export import safe_cell
from ylyx.core.scoping import prefix_q
from ylyx.core.validators import id_check_char
from ylyx.regions.models import Region

from .columns import Column
from .engine import EXAMPLE_MARK, Spec

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
OPTIONAL_FILL = PatternFill("solid", fgColor="E8EEF6")
EXAMPLE_FONT = Font(italic=True, color="7A7A7A")
MAX_REGION_ROWS = 5000


def xlsx_response(wb: Workbook, filename: str) -> HttpResponse:
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(), content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


def example_id(area: str, birth: dt.date, seq: int = 1) -> str:
    """A checksum-valid number for the example row (which the importer skips)."""
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def example_values(spec: Spec, region_code: str) -> dict[str, Any]:
    area = region_code[:6] if region_code[:6].isdigit() else "150802"
    today = timezone.localdate()
    birth = {"elderly": dt.date(1950, 5, 1), "infant": today - dt.timedelta(days=420),
             "practitioner": dt.date(1985, 3, 3)}.get(spec.resource, dt.date(1980, 1, 1))
    values = {c.key: c.example for c in spec.columns if c.example is not None}
    if any(c.key == "id_number" for c in spec.columns):
        values["id_number"] = example_id(area, birth, 2)
    values["region"] = region_code
    return values


def _regions_in_scope(user: Any) -> list[Region]:
    prefix = user.region_prefix
    if not prefix:
        return []
    return list(Region.objects.filter(prefix_q("code", prefix)).order_by("code")[:MAX_REGION_ROWS])


def _short(code: str) -> str:
    for n in (6, 9):
        if code[n:] == "0" * (12 - n):
            return code[:n]
    return code


def template_workbook(spec: Spec, user: Any) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    region_code = _short(user.region_id) if getattr(user, "region_id", None) else "150802"
    examples = example_values(spec, region_code)
    for i, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=col.header + ("*" if col.required else ""))
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        dim = ws.column_dimensions[letter]
        dim.width = max(12, min(40, len(col.header) * 2 + 6 if col.kind != "id_number" else 22))
        if col.is_text:
            dim.number_format = "@"
        ex = examples.get(col.key)
        if ex is not None:
            if col.key == "name" and not str(ex).startswith(EXAMPLE_MARK):
                ex = EXAMPLE_MARK + str(ex)
            if col.is_text:
                ex = str(ex)
            c = ws.cell(row=2, column=i, value=safe_cell(ex))
            c.font = EXAMPLE_FONT
            c.number_format = "@" if col.is_text else ("yyyy-mm-dd" if col.kind == "date" else "General")
        _add_validation(ws, col, letter)
    first = ws.cell(row=2, column=1)
    if first.value is None or not str(first.value).startswith(EXAMPLE_MARK):
        first.value = EXAMPLE_MARK
    ws.freeze_panes = "A2"
    _instructions(wb.create_sheet("说明"), spec, user)
    return wb


def _add_validation(ws: Any, col: Column, letter: str) -> None:
    options = col.labels() if col.kind == "choice" else (["是", "否"] if col.kind == "bool" else [])
    if not options:
        return
    formula = ",".join(options)
    if len(formula) > 250 or '"' in formula:
        return  # Excel's inline list limit; the instructions sheet lists the values instead
    dv = DataValidation(type="list", formula1=f'"{formula}"', allow_blank=True, showErrorMessage=True,
                        errorTitle="无效的选项", error="请从下拉列表中选择", errorStyle="warning")
    dv.add(f"{letter}3:{letter}{settings.IMPORT_MAX_ROWS + 1}")
    ws.add_data_validation(dv)


def _instructions(ws: Any, spec: Spec, user: Any) -> None:
    max_mb = settings.IMPORT_MAX_FILE_BYTES // (1024 * 1024)
    lines = [
        f"{spec.label}导入模板说明",
        "1. 数据填写在“数据”工作表中。第 1 行为表头，请勿修改列名；带 * 的列必须填写。不需要的可选列可以整列删除，删除后系统不会修改该项。",
        f"2. 第 2 行为示例（以“{EXAMPLE_MARK}”开头），导入时自动跳过，可保留或删除。",
        "3. 身份证号、统一社会信用代码、行政区划代码等列已设为文本格式。从其他表格粘贴时请使用“选择性粘贴—数值”；"
        "号码若被 Excel 转为数字（如 1.50802E+17），末 3 位已丢失，导入时会报错，须重新导出为文本。",
        f"4. 单次最多导入 {settings.IMPORT_MAX_ROWS} 行，文件不超过 {max_mb} MB。只接受 .xlsx 文件，不接受含宏的 .xlsm、旧版 .xls 或 CSV。",
        "5. 导入分两步：先校验（不写入任何数据），校验通过后点击“提交导入”。默认“全部校验通过才导入”：任何一行有错误都不会导入，"
        "可下载错误报告按行号和列名修改后重新上传。",
        "6. 已在系统中的记录按唯一标识更新，内容无变化的不改动；同一文件重复上传会提示，需勾选“强制重新导入”。",
        "7. 可选列中的空白单元格表示清空该项或恢复默认值。",
        "8. 行政区划代码填写 6 位（旗县区）、9 位（苏木乡镇/街道）或 12 位（嘎查村/社区），须在您的管辖范围内（见下方列表）。",
    ]
    lines += [f"{i}. {note}" for i, note in enumerate(spec.notes, start=len(lines))]
    for text in lines:
        ws.append([text])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(["列名", "是否必填", "格式", "说明", "可选值"])
    header_row = ws.max_row
    for c in ws[header_row]:
        c.font = Font(bold=True)
        c.fill = OPTIONAL_FILL
    for col in spec.columns:
        allowed = "、".join(col.labels()) if col.kind == "choice" else ("是、否" if col.kind == "bool" else "")
        ws.append([col.header, "必填" if col.required else "选填", col.format_hint, col.help, allowed])
    ws.append([])
    ws.append([f"您管辖范围内的行政区划代码（{user.region.name if getattr(user, 'region', None) else '—'}）"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append(["代码", "名称", "完整名称"])
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
        c.fill = OPTIONAL_FILL
    regions = _regions_in_scope(user)
    for region in regions:
        row = ws.max_row + 1
        ws.cell(row=row, column=1, value=_short(region.code)).number_format = "@"
        ws.cell(row=row, column=2, value=safe_cell(region.name))
        ws.cell(row=row, column=3, value=safe_cell(region.path_name() if region.level <= 3 else region.name))
    if len(regions) == MAX_REGION_ROWS:
        ws.append([f"（仅列出前 {MAX_REGION_ROWS} 个）"])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 40
    ws.column_dimensions["D"].width = 50
    ws.column_dimensions["E"].width = 60


def error_workbook(batch: Any, issues: Iterable[Any]) -> Workbook:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    ws.append(["行号", "列", "问题", "级别"])
    for issue in issues:
        ws.append([issue.row or "", safe_cell(issue.column), safe_cell(issue.message),
                   "错误" if issue.level == "error" else "提示"])
    info = wb.create_sheet("批次信息")
    for label, value in [
        ("批次", f"#{batch.pk}"), ("导入内容", batch.get_resource_display()), ("文件名", batch.file_name),
        ("SHA-256", batch.sha256), ("状态", batch.get_status_display()), ("说明", batch.message),
        ("数据行数", batch.rows_total), ("有错误的行", batch.rows_rejected),
        ("上传时间", timezone.localtime(batch.created_at).strftime("%Y-%m-%d %H:%M")),
    ]:
        info.append([label, safe_cell(value)])
    return wb
