"""Working-day deadlines across the 2025 Spring Festival and National Day, and years without data."""

from __future__ import annotations

import datetime as dt

import pytest

from ylyx.supervision.workdays import CalendarUnavailable, WorkCalendar, parse_supplement

D = dt.date
CAL = WorkCalendar()


@pytest.mark.parametrize("day, workday", [
    (D(2025, 1, 26), True),   # Sunday, adjusted workday before the Spring Festival
    (D(2025, 1, 27), True),
    (D(2025, 1, 28), False),  # 除夕, first day off
    (D(2025, 2, 3), False),   # Monday inside the holiday
    (D(2025, 2, 4), False),   # last day off
    (D(2025, 2, 5), True),
    (D(2025, 2, 8), True),    # Saturday, adjusted workday
    (D(2025, 9, 28), True),   # Sunday, adjusted workday before National Day
    (D(2025, 10, 1), False),
    (D(2025, 10, 8), False),  # Wednesday, last day off (Mid-Autumn merged)
    (D(2025, 10, 9), True),
    (D(2025, 10, 11), True),  # Saturday, adjusted workday
    (D(2025, 10, 12), False),
])
def test_the_2025_arrangements(day, workday):
    assert CAL.is_workday(day) is workday


def test_twenty_working_days_across_the_spring_festival():
    # 2025-01-20 (Mon): 21–24 (4), 26 Sun worked (5), 27 (6), 28 Jan–4 Feb off, 5–7 (9), 8 Sat worked (10),
    # 10–14 (15), 17–21 (20) → 21 February
    assert CAL.add(D(2025, 1, 20), 20) == D(2025, 2, 21)
    # a Saturday inspection just before: the adjusted Sunday counts as the first working day
    assert CAL.add(D(2025, 1, 25), 1) == D(2025, 1, 26)
    assert CAL.add(D(2025, 1, 27), 1) == D(2025, 2, 5)
    assert CAL.add(D(2025, 2, 7), 1) == D(2025, 2, 8)
    # a plain weekday count would say 17 February: the holiday adds four days
    assert CAL.count(D(2025, 1, 20), D(2025, 2, 17)) == 16


def test_twenty_working_days_across_national_day():
    # 2025-09-19 (Fri): 22–26 (5), 28 Sun worked (6), 29–30 (8), 1–8 Oct off, 9–10 (10), 11 Sat worked (11),
    # 13–17 (16), 20–23 (20) → 23 October
    assert CAL.add(D(2025, 9, 19), 20) == D(2025, 10, 23)
    assert CAL.add(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert CAL.add(D(2025, 10, 10), 1) == D(2025, 10, 11)
    assert CAL.count(D(2025, 9, 30), D(2025, 10, 8)) == 0


def test_a_year_without_data_is_a_clear_chinese_error():
    with pytest.raises(CalendarUnavailable, match="2027年的法定节假日和调休安排尚未录入"):
        CAL.add(D(2026, 12, 20), 20)
    with pytest.raises(CalendarUnavailable):
        CAL.is_workday(D(2027, 3, 1))


def test_provisional_deadline_counts_weekdays_and_says_so():
    dl = CAL.deadline(D(2026, 12, 20), 20, provisional=True)
    assert dl.provisional and "2027年节假日安排未录入" in dl.note
    assert dl.on.year == 2027 and dl.on.weekday() < 5
    inside = CAL.deadline(D(2025, 1, 20), 20, provisional=True)
    assert not inside.provisional and inside.on == D(2025, 2, 21)


def test_a_supplement_table_fills_a_later_year():
    sup = parse_supplement({2027: {"holidays": ["2027-01-01", "2027-01-04"], "workdays": ["2027-01-09"]}})
    cal = WorkCalendar(sup)
    assert cal.covers(2027)
    assert not cal.is_workday(D(2027, 1, 4))  # a Monday off
    assert cal.is_workday(D(2027, 1, 9))  # a Saturday worked
    # 2026-12-30 (Wed): 31 Dec (1), 1 Jan off, 4 Jan off, 5–8 (5), 9 Sat worked (6)
    assert cal.add(D(2026, 12, 30), 6) == D(2027, 1, 9)
    assert not cal.deadline(D(2026, 12, 30), 6, provisional=True).provisional


def test_a_supplement_with_a_wrong_year_or_a_contradiction_is_refused():
    with pytest.raises(ValueError, match="其他年份"):
        parse_supplement({2027: {"holidays": ["2026-12-31"]}})
    with pytest.raises(ValueError, match="同时列为"):
        parse_supplement({2027: {"holidays": ["2027-01-09"], "workdays": ["2027-01-09"]}})


def test_provisional_deadlines_are_recomputed_once_the_year_is_entered(db, settings, tree, users):
    import datetime as dt

    from django.core.management import call_command

    from ylyx import testing
    from ylyx.supervision import services
    from ylyx.supervision.models import Complaint

    inst = testing.make_institution(tree["linhe_town"])
    c = services.complaint_intake(users["county_officer"], {"channel": "phone", "received_on": dt.date(2026, 12, 1),
                                                            "institution": inst, "category": "收费", "summary": "x"})
    assert not c.due_provisional and c.due_on == dt.date(2026, 12, 22)
    # as if received on 24 December: its 15 working days run into 2027, which the package does not know
    Complaint.objects.unscoped("t").filter(pk=c.pk).update(received_on=dt.date(2026, 12, 24), due_provisional=True)
    call_command("recompute_deadlines")
    c.refresh_from_db()
    assert c.due_provisional and c.due_on == dt.date(2027, 1, 14)  # weekdays only: still provisional
    settings.SUPERVISION_CALENDAR_SUPPLEMENT = {2027: {"holidays": ["2027-01-01", "2027-01-04"], "workdays": []}}
    call_command("recompute_deadlines")
    c.refresh_from_db()
    assert not c.due_provisional and c.due_on == dt.date(2027, 1, 18)
