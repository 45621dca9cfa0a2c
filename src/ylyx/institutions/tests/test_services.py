"""Registry services: validation in Chinese, capacity history, classes, filing workflow, scope re-check."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.institutions import services
from ylyx.institutions.models import (
    CapacityRecord,
    ChildcareClass,
    Filing,
    FilingEvent,
    Institution,
    ServicePoint,
)
from ylyx.institutions.querysets import selectors
from ylyx.people.models import Enrolment, Residence

from .conftest import reload


def counts():
    return (Institution.objects.count(), CapacityRecord.objects.count(), AuditEvent.objects.count(),
            ChildcareClass.objects.count(), Filing.objects.count(), FilingEvent.objects.count())


def base_data(tree, **kw):
    data = {"name": "新建养老院", "kind": "elder", "subtype": "private", "region": tree["linhe_town"],
            "beds": 30, "nursing_beds": 10}
    data.update(kw)
    return data


# ---------------------------------------------------------------- create / update


def test_create_writes_open_capacity_record_and_masked_audit(elder):
    recs = list(CapacityRecord.objects.filter(institution=elder))
    assert len(recs) == 1
    r = recs[0]
    assert (r.valid_from, r.valid_to, r.beds, r.nursing_beds, r.region_id) == (dt.date(2020, 1, 1), None, 50, 20,
                                                                              "150802001000")
    ev = AuditEvent.objects.get(event_type="create", object_id=str(elder.pk))
    assert ev.after["beds"] == 50 and ev.region_code == "150802001000"
    assert ev.after["contact_phone"] == "138****5678"
    assert elder.domain == "elder"


def test_capacity_change_closes_previous_record(elder, officer):
    services.update_institution(officer, elder, {"beds": 80, "nursing_beds": 40}, reason="扩建",
                                effective_on=dt.date(2024, 6, 1))
    recs = list(CapacityRecord.objects.filter(institution=elder).order_by("valid_from"))
    assert [(r.valid_from, r.valid_to, r.beds) for r in recs] == [
        (dt.date(2020, 1, 1), dt.date(2024, 6, 1), 50), (dt.date(2024, 6, 1), None, 80)]
    assert selectors.capacity_at(dt.date(2024, 5, 31)).get(institution=elder).beds == 50
    assert selectors.capacity_at(dt.date(2024, 6, 1)).get(institution=elder).beds == 80
    assert not selectors.capacity_at(dt.date(2019, 12, 31)).filter(institution=elder).exists()
    ev = AuditEvent.objects.filter(event_type="update", object_id=str(elder.pk)).get()
    assert ev.before == {"beds": 50, "nursing_beds": 20} and ev.after == {"beds": 80, "nursing_beds": 40}
    assert ev.reason == "扩建"


def test_non_capacity_change_writes_no_capacity_record(elder, officer):
    services.update_institution(officer, elder, {"address": "新华街 1 号"})
    assert CapacityRecord.objects.filter(institution=elder).count() == 1
    assert reload(elder).address == "新华街 1 号"


def test_same_day_change_replaces_the_open_record(elder, officer):
    on = dt.date(2024, 6, 1)
    services.update_institution(officer, elder, {"beds": 80}, effective_on=on)
    services.update_institution(officer, elder, {"beds": 90}, effective_on=on)
    assert list(CapacityRecord.objects.filter(institution=elder, valid_to__isnull=True)
                .values_list("valid_from", "beds")) == [(on, 90)]
    assert CapacityRecord.objects.filter(institution=elder).count() == 2


def test_backdating_before_last_change_is_refused(elder, officer):
    services.update_institution(officer, elder, {"beds": 80}, effective_on=dt.date(2024, 6, 1))
    with pytest.raises(ValidationError) as e:
        services.update_institution(officer, elder, {"beds": 70}, effective_on=dt.date(2023, 1, 1))
    assert "生效日期" in e.value.message_dict["effective_on"][0]
    assert reload(elder).beds == 80


def test_future_effective_date_is_refused(tree, officer):
    before = counts()
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree), effective_on=dt.date.today() + dt.timedelta(days=3))
    assert "不能晚于今天" in e.value.message_dict["effective_on"][0]
    assert counts() == before


def test_institution_without_history_gets_a_baseline_on_first_change(users):
    inst = users["_operator_institution"]  # made by the factory, no capacity history
    services.update_institution(users["county_officer"], inst, {"beds": 120}, effective_on=dt.date(2024, 1, 1))
    recs = list(CapacityRecord.objects.filter(institution=inst).order_by("valid_from")
                .values_list("valid_from", "valid_to", "beds"))
    assert recs == [(dt.date(2015, 1, 1), dt.date(2024, 1, 1), 100), (dt.date(2024, 1, 1), None, 120)]


def test_institution_without_history_gets_one_record_on_other_changes(tree):
    inst = testing.make_institution(tree["linhe_town"])
    services.update_institution(testing.make_user("county_officer", tree["linhe"]), inst, {"address": "新址"})
    assert list(CapacityRecord.objects.filter(institution=inst).values_list("valid_from", "valid_to", "beds")) == [
        (dt.date(2015, 1, 1), None, 100)]


def test_nursing_beds_over_beds_refused_naming_the_field(tree, officer):
    before = counts()
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, beds=10, nursing_beds=11))
    msg = e.value.message_dict["nursing_beds"][0]
    assert "护理型床位" in msg and "11" in msg and "10" in msg
    assert counts() == before


def test_beds_below_active_residents_refused(tree, elder, officer):
    for i in range(3):
        p = testing.make_elderly(tree["linhe_village"], birth=dt.date(1940, 1, 1 + i))
        Residence.objects.create(person=p, institution=elder, region=elder.region, started_on=dt.date(2024, 1, 1),
                                 ended_on=dt.date(2024, 2, 1) if i == 2 else None)
    services.update_institution(officer, elder, {"beds": 2, "nursing_beds": 2})  # 2 active: allowed
    with pytest.raises(ValidationError) as e:
        services.update_institution(officer, elder, {"beds": 1, "nursing_beds": 1})
    assert "在住老年人（2）不能超过床位数（1）" in e.value.message_dict["beds"][0]
    assert reload(elder).beds == 2


def test_subtype_must_belong_to_kind(tree, officer):
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, subtype="cc_public"))
    assert "不属于“养老机构”" in e.value.message_dict["subtype"][0]


def test_uscc_checksum_and_uniqueness(tree, officer, elder):
    bad = elder.uscc[:-1] + ("0" if elder.uscc[-1] != "0" else "1")
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, uscc=bad))
    assert "统一社会信用代码" in e.value.message_dict["uscc"][0]
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, uscc=elder.uscc.lower()))
    assert "已登记" in e.value.message_dict["uscc"][0]


def test_childcare_has_no_beds_and_elder_no_places(tree, officer):
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, places=10))
    assert "托位" in e.value.message_dict["places"][0]
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, kind="childcare", subtype="cc_public"))
    assert "托育机构不设养老床位" in e.value.message_dict["beds"][0]


def test_region_outside_scope_refused_with_message(tree, officer):
    before = counts()
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, region=tree["wuyuan_town"]))
    assert "不在您的管辖范围内" in e.value.message_dict["region"][0]
    with pytest.raises(ValidationError) as e:
        services.create_institution(officer, base_data(tree, region=tree["city"]))
    assert "旗县区及以下" in e.value.message_dict["region"][0]
    assert counts() == before


def test_recheck_refuses_another_county_and_rolls_back(tree, officer, monkeypatch):
    """Even if validation let it through, the in-transaction re-check refuses and nothing is written."""
    monkeypatch.setattr(services, "_check_region", lambda *a, **k: None)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.create_institution(officer, base_data(tree, region=tree["wuyuan_town"]))
    assert counts() == before
    assert not Institution.objects.filter(name="新建养老院").exists()


def test_recheck_refuses_moving_own_institution_to_another_county(tree, officer, elder, monkeypatch):
    monkeypatch.setattr(services, "_check_region", lambda *a, **k: None)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.update_institution(officer, elder, {"region": tree["wuyuan_town"], "beds": 60})
    assert counts() == before
    assert reload(elder).region_id == "150802001000"


def test_civil_affairs_cannot_register_childcare(tree, users):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.create_institution(users["civil_affairs"], base_data(tree, kind="childcare", subtype="cc_public",
                                                                      beds=0, nursing_beds=0))
    assert counts() == before


def test_civil_affairs_cannot_change_childcare(users, childcare):
    with pytest.raises(PermissionDenied):
        services.update_institution(users["civil_affairs"], childcare, {"address": "x"})


def test_roles_without_add_cannot_create(tree, users):
    for role in ("inspector", "leader", "operator", "auditor", "town_officer"):
        with pytest.raises(PermissionDenied):
            services.create_institution(users[role], base_data(tree))


def test_operator_edits_service_details_but_not_registry_facts(users):
    op, inst = users["operator"], users["_operator_institution"]
    services.update_institution(op, inst, {"contact_phone": "0478-8123456", "monthly_fee_min": 1500})
    assert reload(inst).contact_phone == "04788123456"
    with pytest.raises(ValidationError) as e:
        services.update_institution(op, inst, {"beds": 500})
    assert "机构经办人不能修改" in e.value.message_dict["beds"][0]
    # A full resend with unchanged registry facts is fine.
    services.update_institution(op, inst, {"name": inst.name, "beds": inst.beds, "region": inst.region_id,
                                           "address": "新地址"})
    assert reload(inst).address == "新地址"


def test_operator_cannot_change_another_institution(users, elder):
    with pytest.raises(PermissionDenied):
        services.update_institution(users["operator"], elder, {"address": "x"})


def test_set_status_dated_with_reason(elder, officer):
    with pytest.raises(ValidationError) as e:
        services.set_status(officer, elder, "closed", dt.date(2025, 1, 1))
    assert "原因" in e.value.message_dict["reason"][0]
    services.set_status(officer, elder, "closed", dt.date(2025, 1, 1), reason="消防不合格")
    inst = reload(elder)
    assert (inst.status, inst.closed_on) == ("closed", dt.date(2025, 1, 1))
    assert selectors.capacity_at(dt.date(2025, 1, 1)).get(institution=elder).status == "closed"
    assert selectors.capacity_at(dt.date(2024, 12, 31)).get(institution=elder).status == "operating"
    assert selectors.capacity_totals(dt.date(2025, 1, 1), "150802")["beds"] == 0
    assert selectors.capacity_totals(dt.date(2024, 12, 31), "150802")["beds"] == 50
    assert AuditEvent.objects.filter(event_type="status_change", reason="消防不合格").count() == 1
    with pytest.raises(ValidationError):
        services.set_status(officer, elder, "closed", dt.date(2025, 2, 1), reason="again")


# ---------------------------------------------------------------- childcare classes


def test_classes_keep_places_in_step_and_write_capacity(childcare, users):
    health = users["health"]
    services.add_class(health, childcare, {"name": "托小一班", "class_type": "junior", "places": 15,
                                           "affordable": True, "caregivers": 3}, effective_on=dt.date(2024, 9, 1))
    services.add_class(health, childcare, {"name": "托大一班", "class_type": "senior", "places": 20,
                                           "caregivers": 3}, effective_on=dt.date(2024, 9, 1))
    inst = reload(childcare)
    assert (inst.places, inst.affordable_places) == (35, 15)
    open_rec = CapacityRecord.objects.get(institution=inst, valid_to__isnull=True)
    assert (open_rec.valid_from, open_rec.places, open_rec.affordable_places) == (dt.date(2024, 9, 1), 35, 15)
    assert selectors.capacity_at(dt.date(2024, 8, 31)).get(institution=inst).places == 0
    assert AuditEvent.objects.filter(event_type="class_create", region_code=inst.region_id).count() == 2
    # Direct edits of places are refused while classes exist.
    with pytest.raises(ValidationError) as e:
        services.update_institution(health, inst, {"places": 50})
    assert "由班级汇总" in e.value.message_dict["places"][0]


def test_class_over_size_refused(childcare, users):
    before = counts()
    with pytest.raises(ValidationError) as e:
        services.add_class(users["health"], childcare, {"name": "乳儿班", "class_type": "infant", "places": 12,
                                                        "caregivers": 4})
    assert "乳儿班每班不超过 10 人" in e.value.message_dict["places"][0]
    assert counts() == before


def test_add_class_only_for_childcare(elder, officer):
    with pytest.raises(ValidationError) as e:
        services.add_class(officer, elder, {"name": "一班", "class_type": "junior", "places": 10})
    assert "只有托育机构" in e.value.messages[0]


def _enrol(inst, cls, n):
    for i in range(n):
        infant = testing.make_infant(inst.region, birth=dt.date.today() - dt.timedelta(days=500 + i))
        Enrolment.objects.create(infant=infant, institution=inst, childcare_class=cls, region=inst.region,
                                 started_on=dt.date.today())


def test_ratio_refused_for_current_enrolments(childcare, users):
    health = users["health"]
    cls = services.add_class(health, childcare, {"name": "托小一班", "class_type": "junior", "places": 15,
                                                 "caregivers": 2})
    _enrol(childcare, cls, 6)
    first = Enrolment.objects.filter(childcare_class=cls).order_by("pk").first()
    Enrolment.objects.filter(pk=first.pk).update(ended_on=dt.date.today())  # 5 current enrolments
    services.update_class(health, cls, {"caregivers": 1})  # 5 children, 1:5 → 1 caregiver suffices
    _enrol(childcare, cls, 1)  # 6 current
    with pytest.raises(ValidationError) as e:
        services.update_class(health, cls, {"caregivers": 1})
    assert "至少需要 2 名保育人员" in e.value.message_dict["caregivers"][0]
    with pytest.raises(ValidationError) as e:
        services.update_class(health, cls, {"places": 5, "caregivers": 2})
    assert "不能少于当前在托人数（6）" in e.value.message_dict["places"][0]
    with pytest.raises(ValidationError) as e:
        services.update_class(health, cls, {"class_type": "senior"})
    assert "不能更改班型" in e.value.message_dict["class_type"][0]
    with pytest.raises(ValidationError):
        services.delete_class(health, cls)
    assert ChildcareClass.objects.get(pk=cls.pk).caregivers == 1


def test_classes_with_counts(childcare, users):
    cls = services.add_class(users["health"], childcare, {"name": "托大班", "class_type": "senior", "places": 20,
                                                          "caregivers": 1})
    _enrol(childcare, cls, 7)
    [c] = selectors.classes_with_counts(childcare)
    assert (c.enrolled, c.required_caregivers, c.ratio_ok) == (7, 1, True)


def test_delete_empty_class_updates_places(childcare, users):
    cls = services.add_class(users["health"], childcare, {"name": "混合班", "class_type": "mixed", "places": 18,
                                                          "affordable": True, "caregivers": 0})
    assert reload(childcare).places == 18
    services.delete_class(users["health"], cls)
    assert (reload(childcare).places, reload(childcare).affordable_places) == (0, 0)


def test_civil_affairs_cannot_add_class_to_childcare(childcare, users):
    with pytest.raises(PermissionDenied):
        services.add_class(users["civil_affairs"], childcare, {"name": "x", "class_type": "junior", "places": 5})


# ---------------------------------------------------------------- service points


def test_service_points_within_county(tree, elder, officer):
    sp = services.add_service_point(officer, elder, {"name": "二号院", "region": tree["linhe_village"],
                                                     "address": "团结路"})
    assert sp.institution_id == elder.pk
    with pytest.raises(ValidationError) as e:
        services.add_service_point(officer, elder, {"name": "二号院", "region": tree["linhe_village"]})
    assert "已登记" in e.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as e:
        services.add_service_point(officer, elder, {"name": "三号院", "region": tree["wuyuan_village"]})
    assert "不在您的管辖范围内" in e.value.message_dict["region"][0]
    services.remove_service_point(officer, sp, reason="撤点")
    assert not ServicePoint.objects.exists()
    assert AuditEvent.objects.filter(event_type="service_point_remove", reason="撤点").exists()


# ---------------------------------------------------------------- filing


def test_filing_legal_path_sets_dates_number_events_and_audit(childcare, users):
    op_user = testing.make_user("operator", None, institution=childcare)
    health = users["health"]
    f = services.submit_filing(op_user, childcare, dt.date(2024, 1, 2))
    assert (f.status, f.submitted_on) == ("submitted", dt.date(2024, 1, 2))
    assert f.authority == "临河区卫生健康委员会"
    f = services.transition_filing(health, f, "received", dt.date(2024, 1, 3))
    f = services.transition_filing(health, f, "filed", dt.date(2024, 1, 5))
    assert f.filed_on == dt.date(2024, 1, 5) and f.number.startswith("托备1508022024")
    f = services.transition_filing(health, f, "changed", dt.date(2024, 5, 1), reason="增加班级")
    f = services.transition_filing(health, f, "cancelled", dt.date(2025, 1, 1), reason="停办")
    assert f.cancelled_on == dt.date(2025, 1, 1)
    assert list(f.events.values_list("status", flat=True)) == ["submitted", "received", "filed", "changed",
                                                               "cancelled"]
    assert AuditEvent.objects.filter(event_type__startswith="filing_", region_code=childcare.region_id).count() == 5
    # filed_at: in force from filing to cancellation, whatever the current status.
    assert list(selectors.filed_at(dt.date(2024, 3, 1))) == [f]
    assert list(selectors.filed_at(dt.date(2024, 3, 1), "150821")) == []
    assert not selectors.filed_at(dt.date(2024, 1, 4)).exists()
    assert not selectors.filed_at(dt.date(2025, 1, 1)).exists()
    with pytest.raises(ValidationError) as e:
        services.transition_filing(health, f, "changed", dt.date(2025, 2, 1))
    assert "已注销" in e.value.message_dict["status"][0]


def test_illegal_transition_refused_in_chinese(elder, officer):
    f = services.submit_filing(officer, elder, dt.date(2024, 1, 2))
    before = counts()
    with pytest.raises(ValidationError) as e:
        services.transition_filing(officer, f, "filed", dt.date(2024, 1, 3))
    assert "备案当前为“已提交”，不能变更为“已备案”" in e.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        services.submit_filing(officer, elder, dt.date(2024, 1, 3))  # already submitted
    assert counts() == before
    assert Filing.objects.get(pk=f.pk).status == "submitted"


def test_return_requires_reason_then_resubmit(elder, officer):
    f = services.submit_filing(officer, elder, dt.date(2024, 1, 2))
    with pytest.raises(ValidationError) as e:
        services.transition_filing(officer, f, "returned", dt.date(2024, 1, 3), reason="  ")
    assert "退回补正须填写退回理由" in e.value.message_dict["reason"][0]
    assert FilingEvent.objects.filter(filing=f).count() == 1
    services.transition_filing(officer, f, "returned", dt.date(2024, 1, 3), reason="缺消防验收意见")
    f = services.submit_filing(officer, elder, dt.date(2024, 1, 10))
    assert (f.status, f.submitted_on) == ("submitted", dt.date(2024, 1, 10))
    assert FilingEvent.objects.get(filing=f, status="returned").reason == "缺消防验收意见"


def test_filing_dates_cannot_go_backwards(elder, officer):
    f = services.submit_filing(officer, elder, dt.date(2024, 1, 10))
    with pytest.raises(ValidationError) as e:
        services.transition_filing(officer, f, "received", dt.date(2024, 1, 9))
    assert "不能早于上一环节" in e.value.message_dict["on"][0]


def test_filing_domain_and_operator_rules(childcare, users, elder):
    f = services.submit_filing(users["health"], childcare, dt.date(2024, 1, 2))
    with pytest.raises(PermissionDenied):  # 民政 does not handle childcare filings
        services.transition_filing(users["civil_affairs"], f, "received", dt.date(2024, 1, 3))
    op = users["operator"]
    own = services.submit_filing(op, op.institution, dt.date(2024, 1, 2))
    with pytest.raises(PermissionDenied):  # an operator cannot approve their own filing
        services.transition_filing(op, own, "received", dt.date(2024, 1, 3))
    with pytest.raises(PermissionDenied):
        services.submit_filing(op, elder)
    for role in ("inspector", "leader", "town_officer"):
        with pytest.raises(PermissionDenied):
            services.transition_filing(users[role], own, "received", dt.date(2024, 1, 3))
    assert Filing.objects.get(pk=own.pk).status == "submitted"


# ---------------------------------------------------------------- selectors


def test_capacity_at_filters_region_kind_and_user(elder, childcare, neighbour, users):
    services.update_institution(users["civil_affairs"], neighbour, {"beds": 70})  # gives it history from 2015
    on = dt.date.today()
    assert {r.institution_id for r in selectors.capacity_at(on)} == {elder.pk, childcare.pk, neighbour.pk}
    assert {r.institution_id for r in selectors.capacity_at(on, "150802")} == {elder.pk, childcare.pk}
    assert {r.institution_id for r in selectors.capacity_at(on, "150802000000")} == {elder.pk, childcare.pk}
    assert {r.institution_id for r in selectors.capacity_at(on, kind="childcare")} == {childcare.pk}
    assert {r.institution_id for r in selectors.capacity_at(on, user=users["county_officer"])} == {
        elder.pk, childcare.pk}
    assert selectors.capacity_totals(on, "1508", kind=["elder", "community"]) == {
        "institutions": 2, "beds": 120, "nursing_beds": 60, "places": 0, "affordable_places": 0}
    assert selectors.capacity_at(dt.date(2016, 1, 1)).get().beds == 100
    with pytest.raises(ValueError):
        selectors.normalise_prefix("15a8")


def test_operator_keeps_caregivers_but_not_capacity(tree, childcare, users):
    op = testing.make_user("operator", None, institution=childcare)
    cls = services.add_class(users["health"], childcare, {"name": "托小一班", "class_type": "junior", "places": 10,
                                                          "caregivers": 1})
    services.update_class(op, cls, {"caregivers": 3, "name": "托小一班", "places": 10})  # unchanged places: fine
    assert ChildcareClass.objects.get(pk=cls.pk).caregivers == 3
    with pytest.raises(ValidationError) as e:
        services.update_class(op, cls, {"places": 15})
    assert "机构经办人不能修改" in e.value.message_dict["places"][0]
    before = counts()
    for call in (lambda: services.add_class(op, childcare, {"name": "新班", "class_type": "junior", "places": 5}),
                 lambda: services.delete_class(op, cls),
                 lambda: services.add_service_point(op, childcare, {"name": "点", "region": tree["linhe_village"]}),
                 lambda: services.set_status(op, childcare, "suspended", reason="x")):
        with pytest.raises(PermissionDenied):
            call()
    assert counts() == before and reload(childcare).places == 10


def test_moving_region_starts_a_record_counted_in_the_new_region(tree, elder, officer):
    services.update_institution(officer, elder, {"region": tree["linhe_village"]}, reason="迁址",
                                effective_on=dt.date(2024, 3, 1))
    assert list(selectors.capacity_at(dt.date(2024, 2, 29), "150802001001")) == []
    assert selectors.capacity_at(dt.date(2024, 3, 1), "150802001001").get().institution_id == elder.pk
    assert selectors.capacity_at(dt.date(2024, 2, 29), "150802").get(institution=elder).region_id == "150802001000"


def test_backfill_capacity_only_where_missing(tree, elder):
    bare = testing.make_institution(tree["wuyuan_town"], opened_on=dt.date(2018, 5, 1))
    missing = set(Institution.objects.filter(capacity_history__isnull=True).values_list("pk", flat=True))
    assert bare.pk in missing and elder.pk not in missing
    assert services.backfill_capacity() == len(missing)
    assert services.backfill_capacity() == 0
    assert CapacityRecord.objects.filter(institution=elder).count() == 1
    assert selectors.capacity_at(dt.date(2018, 5, 1)).get(institution=bare).beds == 100
