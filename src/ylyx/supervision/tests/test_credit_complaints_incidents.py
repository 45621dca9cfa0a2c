"""Credit with the shared gate, complaints routed and closed, emergencies escalated, closed and relocated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ylyx import testing
from ylyx.core import gates
from ylyx.institutions import services as inst_services
from ylyx.people.models import Residence
from ylyx.supervision import services
from ylyx.supervision.models import (
    AppealKind,
    Complaint,
    CreditListEntry,
    CreditRating,
    EntryStatus,
    Incident,
    IncidentLog,
    ListType,
)
from ylyx.supervision.selectors import credit_effects

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def cc(tree):
    """A childcare institution of 临河区 with a registered licence, not yet filed."""
    return testing.make_institution(tree["linhe_town"], kind="childcare", subtype="cc_profit", beds=0,
                                    nursing_beds=0, name="小太阳托育园")


def test_a_black_listed_institution_is_refused_a_subsidy_and_a_new_filing(users, cc):
    assert gates.refusals("subsidy", cc) == []
    services.credit_event_record(users["health"], cc, "subsidy_fraud", on=D(2025, 4, 1), note="虚报托位骗取运营补贴")
    entry = CreditListEntry.objects.unscoped("t").get(institution=cc)
    assert entry.list_type == ListType.BLACK and entry.rule == "event:subsidy_fraud"
    reasons = gates.refusals("subsidy", cc)
    assert reasons and "失信名单" in reasons[0] and "申请补贴" in reasons[0]
    with pytest.raises(ValidationError) as e:
        inst_services.submit_filing(users["county_officer"], cc, reason="新办备案")
    assert "失信名单" in str(e.value) and "新办备案" in str(e.value)
    assert credit_effects(cc).blacklisted


def test_affordable_status_passes_the_credit_gate(users, cc):
    services.credit_event_record(users["health"], cc, "liability_incident", on=D(2025, 4, 1), note="责任事故")
    with pytest.raises(ValidationError, match="不得普惠认定"):
        inst_services.update_institution(users["county_officer"], cc, {"subtype": "cc_affordable"})
    clean = testing.make_institution(cc.region, kind="childcare", subtype="cc_profit", beds=0, nursing_beds=0)
    inst_services.update_institution(users["county_officer"], clean, {"subtype": "cc_affordable"})
    clean.refresh_from_db()
    assert clean.subtype == "cc_affordable"


def test_class_d_blocks_affordable_only_and_raises_the_sampling_weight(users, cc):
    CreditRating.objects.create(institution=cc, region_id=cc.region_id, domain="childcare", year=2025, points=50,
                                credit_class="D", scale="x")
    eff = credit_effects(cc, on=D(2026, 3, 1))
    assert eff.credit_class == "D" and eff.sampling_weight == 2
    assert eff.refusals["affordable"] and not eff.refusals["subsidy"] and not eff.refusals["new_filing"]


def test_a_failing_gate_refuses_rather_than_lets_through(cc, monkeypatch):
    monkeypatch.setattr(gates, "_gates", {"坏的": lambda p, s: 1 / 0})
    assert "核查暂时无法完成" in gates.refusals("subsidy", cc)[0]
    with pytest.raises(ValueError):
        gates.refusals("something_else", cc)


def test_repair_needs_the_waiting_period_and_an_approver(users, cc, monkeypatch):
    services.credit_event_record(users["health"], cc, "subsidy_fraud", on=D(2022, 1, 10), note="骗补")
    entry = CreditListEntry.objects.unscoped("t").get(institution=cc)
    CreditListEntry.objects.unscoped("t").filter(pk=entry.pk).update(entered_on=D(2022, 1, 10),
                                                                      expires_on=D(2030, 1, 1))
    entry.refresh_from_db()
    op = testing.make_user("operator", None, institution=cc)
    ap = services.appeal_submit(op, entry, AppealKind.REPAIR, "已退回全部补贴资金并完成整改")
    with pytest.raises(PermissionDenied):
        services.appeal_decide(users["county_officer"], ap, True, "同意")
    monkeypatch.setattr(services, "today", lambda: D(2024, 6, 1))
    with pytest.raises(ValidationError, match="未满 36 个月"):
        services.appeal_decide(users["health"], ap, True, "同意修复")
    monkeypatch.setattr(services, "today", lambda: D(2025, 2, 1))
    services.appeal_decide(users["health"], ap, True, "符合信用修复条件")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.EXITED and "信用修复" in entry.exit_reason
    assert gates.refusals("subsidy", cc) == []


def test_two_years_of_class_d_enter_the_black_list(users, cc):
    for y in (2023, 2024):
        CreditRating.objects.create(institution=cc, region_id=cc.region_id, domain="childcare", year=y, points=50,
                                    credit_class="D", scale="x")
    entries = services.apply_list_rules(cc, D(2025, 1, 5))
    assert [(e.list_type, e.rule) for e in entries] == [("black", "class:Dx2")]
    assert services.apply_list_rules(cc, D(2025, 1, 6)) == []  # once while active


def test_complaint_is_routed_to_the_owning_county_and_due_in_working_days(users, tree, cc, homes):
    city = users["civil_affairs"]
    wuyuan_home = homes["wuyuan"][0]
    c = services.complaint_intake(city, {"channel": "phone", "received_on": D(2025, 1, 24), "institution": wuyuan_home,
                                         "category": "服务质量", "summary": "护理员态度差",
                                         "complainant_name": "张三", "complainant_phone": "13812345678"})
    assert c.region_id == wuyuan_home.region_id and c.domain == "elder"
    # 15 working days from Friday 24 Jan: 26 (Sunday, worked), 27, then 5–8 Feb (8th a Saturday, worked),
    # 10–14, 17–20 → 20 February
    assert c.due_on == D(2025, 2, 20)
    assert c.complainant_masked == "张* 138****5678"
    linhe = users["county_officer"]
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    assert not Complaint.objects.for_user(linhe).filter(pk=c.pk).exists()
    assert Complaint.objects.for_user(wuyuan).filter(pk=c.pk).exists()
    op = testing.make_user("operator", None, institution=wuyuan_home)
    assert not Complaint.objects.for_user(op).exists()  # the institution never sees who complained
    services.complaint_close(wuyuan, c, "upheld", "经查属实，已责令整改", on=D(2025, 2, 10))
    plan = services.plan_create(city, {"title": "p", "region": tree["city"], "department": "市民政局",
                                       "domain": "elder", "ratio": "0.2", "period_start": D(2025, 3, 1),
                                       "period_end": D(2025, 12, 31)})
    forced = {t.id: t.forced for t in services.build_pools(plan, D(2025, 3, 1)).targets}
    assert forced[wuyuan_home.pk] == "投诉属实"
    assert forced[homes["wuyuan"][1].pk] == ""


def test_incident_escalates_by_time_closes_with_liability_and_relocates(users, tree, homes):
    officer = users["county_officer"]
    home, other = homes["linhe"][0], homes["linhe"][1]
    person = testing.make_elderly(tree["linhe_village"])
    Residence.objects.create(person=person, institution=home, region=home.region, bed_type="ordinary",
                             started_on=D(2023, 1, 1))
    op = testing.make_user("operator", None, institution=home)
    inc = services.incident_report(op, {"institution": home, "type": "fire", "severity": "4",
                                        "description": "厨房起火，已扑灭", "people_affected": 30})
    assert inc.level == "county"
    assert services.escalate_incidents(timezone.now() + dt.timedelta(hours=23)) == 0
    assert services.escalate_incidents(timezone.now() + dt.timedelta(hours=25)) == 1
    inc.refresh_from_db()
    assert inc.level == "city"
    rel = services.incident_relocate(officer, inc, person_kind="elderly", person=person, to=other,
                                     on=timezone.localdate())
    assert rel.to_institution_id == other.pk
    assert Residence.objects.unscoped("t").filter(person=person, institution=other, ended_on__isnull=True).exists()
    assert Residence.objects.unscoped("t").get(person=person, institution=home).ended_on == timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.incident_close(op, inc, "结案")
    services.incident_close(officer, inc, "火灾原因为违规用电，已整改", liability=True)
    kinds = list(IncidentLog.objects.unscoped("t").filter(incident=inc).order_by("id").values_list("kind", flat=True))
    assert kinds == ["report", "escalate", "relocate", "close"]
    assert CreditListEntry.objects.unscoped("t").filter(institution=home, list_type="black").exists()
    assert Incident.objects.unscoped("t").get(pk=inc.pk).handling_hours is not None


def test_relocation_respects_capacity(users, tree, homes):
    officer = users["county_officer"]
    home = homes["linhe"][0]
    full = testing.make_institution(tree["linhe_town"], beds=1, nursing_beds=0)
    Residence.objects.create(person=testing.make_elderly(tree["linhe_village"]), institution=full,
                             region=full.region, bed_type="ordinary", started_on=D(2023, 1, 1))
    person = testing.make_elderly(tree["linhe_village"])
    Residence.objects.create(person=person, institution=home, region=home.region, bed_type="ordinary",
                             started_on=D(2023, 1, 1))
    inc = services.incident_report(officer, {"institution": home, "type": "facility", "severity": "3",
                                             "description": "停暖"})
    assert inc.level == "city"
    with pytest.raises(ValidationError):
        services.incident_relocate(officer, inc, person_kind="elderly", person=person, to=full)
    assert Residence.objects.unscoped("t").get(person=person, institution=home).ended_on is None  # rolled back


def test_a_practitioners_credit_file_and_gate(users, tree):
    p = testing.make_practitioner(tree["linhe_town"], role="nursery_teacher")
    ev = services.credit_event_record(users["health"], p, "subsidy_fraud", on=D(2025, 5, 1), note="冒领补贴")
    assert ev.domain == "childcare" and ev.practitioner_id == p.pk
    reasons = gates.refusals("subsidy", p)
    assert reasons and reasons[0].startswith("该从业人员已于 2025-05-01 列入失信名单")
    assert CreditRating.objects.unscoped("t").get(practitioner=p, year=2025).points == 60
    with pytest.raises(PermissionDenied):
        services.credit_event_record(users["civil_affairs"], p, "penalty", note="x")  # 民政 does not write 卫健's


def test_the_daily_job_escalates_and_expires(users, homes, capsys):
    from django.core.management import call_command

    services.credit_event_record(users["civil_affairs"], homes["linhe"][0], "subsidy_fraud", on=D(2020, 1, 2),
                                 note="骗补")
    call_command("supervision_daily", "--date", "2026-06-01")
    out = capsys.readouterr().out
    assert "名单期满移出 1 条" in out
    entry = CreditListEntry.objects.unscoped("t").get(institution=homes["linhe"][0])
    assert entry.status == EntryStatus.EXITED and entry.exit_reason == "期满移出"
