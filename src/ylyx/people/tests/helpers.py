"""Helpers for people and workforce tests: the full-ID scan, xlsx text, a logged-in client."""

import datetime as dt
import io
import re

from django.test import Client
from openpyxl import load_workbook

FULL_ID = re.compile(r"\d{17}[\dX]")


def assert_no_full_id(text: str) -> None:
    found = FULL_ID.findall(text)
    assert not found, f"full ID number in output: {found[:3]}"


def xlsx_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    cells: list[str] = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells.extend("" if v is None else str(v) for v in row)
    return "\n".join(cells)


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def months_ago(months: int, extra_days: int = 0) -> dt.date:
    from ylyx.people.identity import months_before, today

    return months_before(today(), months) - dt.timedelta(days=extra_days)
