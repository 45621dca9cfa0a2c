"""The demo city's reported values: every reported row of the 巴彦淖尔 plan for 2020–2025 through the real
workflow, and at 2020-12-31 the dashboard shows a value for every row whose 2020 column has a number, equal
to it (reported rows exactly; registry rows as the demo's spec declares them at this scale — at full scale
they are the plan's own numbers, which ``bench/bench_05_home.py`` checks on the full-scale city)."""

from __future__ import annotations

import datetime as dt

import pytest

from ylyx.demo.build import build
from ylyx.indicators.models import Plan, ReportedStatus, ReportedValue
from ylyx.indicators.selectors import plan_table
from ylyx.workspace.demo import DEMO_NOTE, SERIES, YEARS

pytestmark = pytest.mark.django_db(transaction=True)
SCALE = 0.02


def test_demo_reports_every_row_and_the_2020_dashboard_matches_the_plan(tmp_path):
    result = build(SCALE, log=lambda *_: None, logins_path=tmp_path / "logins.txt")
    plan = Plan.objects.unscoped("test: the seed plan").get(code="bayannur-2021")
    rows = list(plan.indicators.select_related("definition").order_by("position", "id"))
    reported = [pi for pi in rows if not pi.is_computed]
    assert {pi.seq for pi in reported} == set(SERIES)
    values = ReportedValue.objects.unscoped("test: all demo values")
    assert values.count() == len(reported) * len(YEARS) == result.counts["workspace.reported_values"]
    assert set(values.values_list("status", flat=True)) == {ReportedStatus.PUBLISHED}
    assert all(DEMO_NOTE in c for c in values.values_list("comment", flat=True))
    fixed = values.get(plan_indicator__seq="13", year=2024)
    assert fixed.returned_by_id is not None and fixed.value == 89.3 and "更正" in fixed.comment
    assert fixed.approved_by_id != fixed.entered_by_id

    table = plan_table(plan, "150800000000", dt.date(2020, 12, 31), with_breakdown=False)
    declared = result.declared["2020-12-31.capacity"]
    by_seq = {r.seq: r for r in table.rows}
    for pi in rows:
        if pi.baseline_value is None:
            continue
        r = by_seq[pi.seq]
        assert r.value is not None, f"{pi.seq} {pi.name}: 无数据"
        if not pi.is_computed or pi.seq == "7":  # reported, and the scale-free nursing-bed share
            assert r.value == pi.baseline_value, (pi.seq, r.value, pi.baseline_value)
    assert by_seq["6"].value == declared["beds"]
    assert by_seq["14"].value == declared["filed"]
    for seq in ("11", "16"):  # per-1,000 ratios: the plan's value up to the small city's rounding
        assert by_seq[seq].value == pytest.approx(next(p.baseline_value for p in rows if p.seq == seq), abs=0.05)
