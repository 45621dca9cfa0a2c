"""Chinese working days: statutory holidays and adjusted workdays (调休), for deadlines such as
"publish within 20 working days" (standards.md §4.2) and complaint time limits.

Plain Python, no Django. Days come from the locked ``chinesecalendar`` package (the State Council's
yearly arrangements; 1.11.0 knows 2004–2026). A year the package has no data for (2027 and later)
is read from a *supplement table* entered from the State Council's notice when it is published each
autumn (``settings.SUPERVISION_CALENDAR_SUPPLEMENT``, docs/standards-config.md). A year neither
covers raises :class:`CalendarUnavailable` with a Chinese message: a wrong legal deadline is worse
than none. Callers that must still show a date (the publication clock, an inspection closed in
December whose deadline falls in January of an unpublished year) ask :meth:`WorkCalendar.deadline`
with ``provisional=True``: unknown years then count Monday–Friday only and the result says so, and
``recompute_deadlines`` replaces it once the supplement is entered.

Counting follows the usual rule for administrative time limits: the day of the event is not
counted; the deadline is the n-th working day after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar


class CalendarUnavailable(ValueError):  # noqa: N818 - a domain error name, read as "calendar unavailable"
    """The holiday arrangement of a year is not known: neither the package nor the supplement has it."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"{year}年的法定节假日和调休安排尚未录入（chinesecalendar 包只含 2004—2026 年），无法按工作日计算期限；"
            f"请在国务院办公厅公布{year}年部分节假日安排后，把放假日和调休上班日录入 "
            "SUPERVISION_CALENDAR_SUPPLEMENT（见 docs/standards-config.md），再运行 manage.py recompute_deadlines")


@dataclass(frozen=True)
class YearSupplement:
    """One year's arrangement: weekdays that are off, and weekend days that are worked."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]


@dataclass(frozen=True)
class Deadline:
    on: dt.date
    provisional: bool = False  # True: some year was counted Monday–Friday only, pending its arrangement
    note: str = ""


def _dates(values: Iterable[str | dt.date]) -> frozenset[dt.date]:
    return frozenset(v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in values)


def parse_supplement(config: Mapping[int | str, Mapping[str, Iterable[str | dt.date]]] | None
                     ) -> dict[int, YearSupplement]:
    """``{2027: {"holidays": ["2027-01-01", …], "workdays": ["2027-02-06", …]}}`` → YearSupplement per year."""
    out: dict[int, YearSupplement] = {}
    for year, spec in (config or {}).items():
        y = int(year)
        hol, work = _dates(spec.get("holidays", ())), _dates(spec.get("workdays", ()))
        bad = sorted(d for d in hol | work if d.year != y)
        if bad:
            raise ValueError(f"节假日补充表 {y} 年中出现了其他年份的日期：{bad[0]:%Y-%m-%d}")
        both = sorted(hol & work)
        if both:
            raise ValueError(f"节假日补充表 {y} 年中 {both[0]:%Y-%m-%d} 同时列为放假日和调休上班日")
        out[y] = YearSupplement(hol, work)
    return out


@lru_cache(maxsize=64)
def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working days from the package, a supplement table for later years, and nothing guessed silently."""

    def __init__(self, supplement: Mapping[int, YearSupplement] | None = None, use_package: bool = True):
        self.supplement = dict(supplement or {})
        self.use_package = use_package

    @classmethod
    def from_config(cls, config: Mapping | None) -> WorkCalendar:
        return cls(parse_supplement(config))

    def covers(self, year: int) -> bool:
        return year in self.supplement or (self.use_package and _package_covers(year))

    def is_workday(self, d: dt.date, provisional: bool = False) -> bool:
        sup = self.supplement.get(d.year)
        if sup is not None:  # an entered arrangement wins, so an error in the package can be corrected
            if d in sup.holidays:
                return False
            if d in sup.workdays:
                return True
            return d.weekday() < 5
        if self.use_package and _package_covers(d.year):
            return bool(chinese_calendar.is_workday(d))
        if provisional:
            return d.weekday() < 5
        raise CalendarUnavailable(d.year)

    def add(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (``start`` itself is not counted)."""
        return self.deadline(start, n).on

    def deadline(self, start: dt.date, n: int, provisional: bool = False) -> Deadline:
        if n < 0:
            raise ValueError("工作日数不能为负数")
        d, left, guessed = start, n, set()
        while left:
            d += dt.timedelta(days=1)
            if not self.covers(d.year):
                if not provisional:
                    raise CalendarUnavailable(d.year)
                guessed.add(d.year)
            if self.is_workday(d, provisional=provisional):
                left -= 1
        if guessed:
            years = "、".join(str(y) for y in sorted(guessed))
            return Deadline(d, True, f"{years}年节假日安排未录入，暂按周一至周五计算，录入后自动重算")
        return Deadline(d)

    def count(self, start: dt.date, end: dt.date, provisional: bool = False) -> int:
        """Working days in (start, end]: how many of the allowed days have been used by ``end``."""
        if end <= start:
            return 0
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            if self.is_workday(d, provisional=provisional):
                n += 1
        return n
