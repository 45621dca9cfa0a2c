"""Excel export of any scoped list: masked values only, formulas neutralised (security.md DJ-12)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def workbook_response(filename: str, headers: list[str], rows: Iterable[list[Any]],
                      watermark: str = "") -> HttpResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    if watermark:
        ws.append([watermark])
    ws.append(headers)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return resp


Column = tuple[str, str, Callable[[Any], Any]]  # (key, header, getter)


def export_watermark(user) -> str:
    return f"导出人：{user}  导出时间：{timezone.localtime():%Y-%m-%d %H:%M}  内部资料，注意保密"
