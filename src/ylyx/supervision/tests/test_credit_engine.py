"""Credit engine: yearly class on the scale in force, list rules, repair conditions, follow-up intervals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from ylyx.supervision import credit as C
from ylyx.supervision import followup as F

D = dt.date


@pytest.fixture
def cfg() -> C.Config:
    return C.load_config(settings.SUPERVISION_CREDIT)


def test_year_class_from_base_and_events(cfg):
    ev = [C.Event(D(2025, 3, 1), "inspection_fail", cfg.events["inspection_fail"].points),
          C.Event(D(2025, 5, 1), "complaint_upheld", cfg.events["complaint_upheld"].points),
          C.Event(D(2024, 5, 1), "penalty", -100)]  # another year: not counted
    r = C.rate_year(cfg, ev, 2025)
    scale = C.scale_on(cfg, D(2025, 12, 31))
    assert r.points == scale.base + cfg.events["inspection_fail"].points + cfg.events["complaint_upheld"].points
    assert r.credit_class == scale.classify(r.points)
    assert C.rate_year(cfg, [], 2025).credit_class == "A"


def test_a_new_scale_applies_from_its_date():
    raw = {**settings.SUPERVISION_CREDIT, "scales": [
        {"code": "old", "name": "旧", "valid_from": "2020-01-01", "valid_to": "2024-12-31", "base": 100,
         "classes": [["A", 90], ["B", 80], ["C", 60], ["D", None]]},
        {"code": "new", "name": "新（优良中差）", "valid_from": "2025-01-01", "base": 100,
         "classes": [["优", 95], ["良", 85], ["中", 70], ["差", None]]}]}
    cfg = C.load_config(raw)
    ev = [C.Event(D(2024, 6, 1), "x", -12), C.Event(D(2025, 6, 1), "x", -12)]
    assert C.rate_year(cfg, ev, 2024).credit_class == "B"
    assert C.rate_year(cfg, ev, 2025).credit_class == "良"
    assert C.rate_year(cfg, ev, 2025).scale == "new"


def test_scales_are_checked():
    bad = {**settings.SUPERVISION_CREDIT, "scales": [{"code": "x", "name": "x", "valid_from": "2020-01-01",
                                                       "base": 100, "classes": [["A", 60], ["B", 80]]}]}
    with pytest.raises(C.CreditConfigError, match="最后一级应不设下限"):
        C.load_config(bad)


def test_black_list_by_event_and_by_consecutive_class(cfg):
    fraud = C.Event(D(2025, 4, 1), "subsidy_fraud", cfg.events["subsidy_fraud"].points)
    props = C.list_proposals(cfg, {}, [fraud], D(2025, 4, 2))
    assert [p.list_type for p in props] == ["black"] and "骗取补贴" in props[0].reason
    two_d = C.list_proposals(cfg, {2023: "D", 2024: "D"}, [], D(2025, 1, 10))
    assert [p.rule for p in two_d] == ["class:Dx2"]
    assert C.list_proposals(cfg, {2023: "C", 2024: "D"}, [], D(2025, 1, 10)) == []


def test_red_list_needs_clean_record(cfg):
    assert [p.list_type for p in C.list_proposals(cfg, {2023: "A", 2024: "A"}, [], D(2025, 2, 1))] == ["red"]
    recent = C.Event(D(2024, 12, 1), "complaint_upheld", -5)
    assert C.list_proposals(cfg, {2023: "A", 2024: "A"}, [recent], D(2025, 2, 1)) == []


def test_repair_conditions(cfg):
    refusals = C.repair_refusals(cfg, rule="event:subsidy_fraud", entered_on=D(2025, 1, 31), on=D(2025, 6, 1),
                                 open_rectifications=2)
    months = cfg.rules.repair_min_months["subsidy_fraud"]
    assert any(f"未满 {months} 个月" in r for r in refusals)
    assert any("2 项整改未完成" in r for r in refusals)
    later = C.add_months(D(2025, 1, 31), months)
    assert C.repair_refusals(cfg, rule="event:subsidy_fraud", entered_on=D(2025, 1, 31), on=later,
                             open_rectifications=0) == []
    assert C.add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)


def test_follow_up_interval_by_outcome_credit_and_floor():
    cfg = F.FollowupConfig()
    cc = F.next_inspection(inspected_on=D(2025, 3, 10), outcome="pass", credit_class="B", kind="childcare", config=cfg)
    assert cc.due == D(2027, 3, 10)
    elder = F.next_inspection(inspected_on=D(2025, 3, 10), outcome="pass", credit_class="A", kind="elder", config=cfg)
    assert elder.due == D(2026, 3, 10) and "第三十八条" in elder.reason
    bad = F.next_inspection(inspected_on=D(2025, 3, 10), outcome="fail", credit_class="D", kind="childcare",
                            config=cfg)
    assert bad.due == D(2025, 6, 10)
    rect = F.next_inspection(inspected_on=D(2025, 3, 10), outcome="minor", credit_class="B", kind="childcare",
                             open_deadlines=[D(2025, 4, 10)], config=cfg)
    assert rect.due == D(2025, 4, 20) and "整改期限" in rect.reason
