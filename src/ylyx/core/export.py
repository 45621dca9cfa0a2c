"""Excel export of any scoped list: masked values only, formulas neutralised (security.md DJ-12).

Small exports of lists without personal data are written in the request; everything else becomes an
export job (``imports.export_jobs``), with a stated reason for personal data and a second person's
approval above a threshold (security.md PI-6). :func:`export_policy` decides, from settings.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\0")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def write_workbook(target: IO[bytes], headers: list[str], rows: Iterable[list[Any]], watermark: str = "",
                   info: list[tuple[str, str]] | None = None, on_row: Callable[[int], None] | None = None) -> int:
    """Stream rows into a workbook: watermark line, headers, data; returns the number of data rows.

    The watermark is also the printed page header and the file's description, so a printout or a copy
    of the file still names who exported it. ``info`` adds a second sheet 说明 (label, value);
    ``on_row(n)`` is called after each row, for progress.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    if watermark:
        ws.oddHeader.center.text = watermark.replace("&", "&&")[:250]  # & starts a header code
        ws.evenHeader.center.text = ws.oddHeader.center.text
        wb.properties.description = watermark
        ws.append([watermark])
    ws.append(headers)
    n = 0
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        n += 1
        if on_row is not None:
            on_row(n)
    if info:
        about = wb.create_sheet("说明")
        for label, value in info:
            about.append([label, safe_cell(value)])
    wb.save(target)
    return n


def workbook_response(filename: str, headers: list[str], rows: Iterable[list[Any]],
                      watermark: str = "") -> HttpResponse:
    buf = io.BytesIO()
    write_workbook(buf, headers, rows, watermark)
    resp = HttpResponse(buf.getvalue(), content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return resp


Column = tuple[str, str, Callable[[Any], Any]]  # (key, header, getter)


def export_watermark(user) -> str:
    return f"导出人：{user}  导出时间：{timezone.localtime():%Y-%m-%d %H:%M}  内部资料，注意保密"


@dataclass(frozen=True)
class ExportPolicy:
    """How an export of ``rows`` rows of a resource must go."""

    job: bool  # a background job with its own page, not a download in the request
    approval: bool  # a second person must approve it before the file is made
    reason: bool  # the requester must state why (personal data)


def pi_resources() -> frozenset[str]:
    return frozenset(getattr(settings, "EXPORT_PI_RESOURCES", ("elderly", "infant", "practitioner")))


def export_policy(resource: str, rows: int) -> ExportPolicy:
    """PI always goes through a job with a reason; approval above the threshold or always for minors.

    Lists without personal data are downloaded directly up to ``EXPORT_DIRECT_MAX_ROWS`` and become
    jobs (for time, not for approval) above it.
    """
    pi = resource in pi_resources()
    approval = pi and (rows > settings.EXPORT_APPROVAL_THRESHOLD
                       or resource in getattr(settings, "EXPORT_ALWAYS_APPROVE", ()))
    job = pi or rows > settings.EXPORT_DIRECT_MAX_ROWS
    return ExportPolicy(job=job, approval=approval, reason=pi)
