"""Operations that change 老年人, 婴幼儿, 入住 and 入托 records.

Every operation is one transaction: it re-reads its rows through the user's scope (locked), applies
the registry rules (institutions/rules.py), saves, re-checks the saved rows with ``ensure_in_scope``
(outside the scope → PermissionDenied → rollback) and writes a masked audit event. The capacity row
(the institution for beds, the class for places) is locked while counting, so two concurrent
admissions cannot both take the last bed. Forms, the API and Excel imports all call these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from ylyx.audit.services import record
from ylyx.core.errors import Conflict
from ylyx.core.permissions import Action, Resource, allows
from ylyx.core.scoping import ensure_in_scope
from ylyx.institutions import rules
from ylyx.institutions.models import ChildcareClass, Institution, Kind, Status

from .identity import (
    Errors,
    age_months,
    age_years,
    apply_choice,
    apply_identity,
    as_date,
    clean_reason,
    clean_text,
    create_person,
    lock_scoped,
    not_future,
    scoped_region,
    update_person,
)
from .models import BedType, ElderlyPerson, Enrolment, Infant, Residence

ELDERLY_FIELDS = ("address", "living_situation", "economic_status", "special_family", "disability",
                  "registered_on", "died_on", "moved_out_on")
INFANT_FIELDS = ("address", "guardian_name", "guardian_relation", "moved_out_on")


def _require(user: Any, resource: Resource, action: Action, message: str) -> None:
    if not allows(getattr(user, "role", ""), resource, action):
        raise PermissionDenied(message)


_reason = clean_reason


def _open_after(on: dt.date) -> Q:
    """Stays that still hold a bed or place on ``on`` or later (ended_on is the leaving day)."""
    return Q(ended_on__isnull=True) | Q(ended_on__gt=on)


# --- 老年人 -------------------------------------------------------------------------------------

def _apply_elderly(user: Any, person: ElderlyPerson, data: dict, creating: bool) -> list[str]:
    errors = Errors()
    warnings = apply_identity(person, data, errors, creating=creating)
    if creating or "region" in data:
        region = scoped_region(user, data.get("region"), errors)
        if region is not None:
            person.region = region
    address = clean_text(data, "address", "居住地址", errors, 200)
    if address is not None:
        person.address = address
    for f in ("living_situation", "economic_status", "disability"):
        apply_choice(person, data, f, errors)
    if "special_family" in data:
        person.special_family = bool(data.get("special_family"))
    if "registered_on" in data:
        person.registered_on = as_date(data.get("registered_on"), "registered_on", "登记日期", errors)
        not_future(person.registered_on, "registered_on", "登记日期", errors)
    errors.raise_if_any()
    age = age_years(person.birth_date)
    if age is not None and age < 60:
        warnings.append(f"按身份证号计算年龄为 {age} 岁，未满 60 周岁，请核对")
    if age is not None and age > 120:
        warnings.append(f"按身份证号计算年龄为 {age} 岁，超过 120 岁，请核对")
    return warnings


def create_elderly(user: Any, data: dict, reason: str = "") -> tuple[ElderlyPerson, list[str]]:
    """登记老年人. Returns the person and warnings to show (e.g. sex disagrees with the ID)."""
    _require(user, "elderly", "add", "无权新增老年人信息")
    return create_person(user, ElderlyPerson, data, _apply_elderly, ELDERLY_FIELDS, reason)


def update_elderly(user: Any, person: ElderlyPerson, data: dict, reason: str = "") -> tuple[ElderlyPerson, list[str]]:
    _require(user, "elderly", "change", "无权修改老年人信息")
    return update_person(user, ElderlyPerson, person.pk, data, _apply_elderly, ELDERLY_FIELDS, reason)


def _end_stays(user: Any, stays, on: dt.date, event: str, reason: str, errors: Errors, field: str) -> None:
    for stay in stays:
        if stay.started_on > on:
            errors.add(field, f"日期早于 {stay.started_on:%Y-%m-%d} 的{stay._meta.verbose_name}开始日期，请核对")
            continue
        before = {"ended_on": stay.ended_on.isoformat() if stay.ended_on else None}
        stay.ended_on = on
        stay.save(update_fields=["ended_on"])
        record(user, event, stay, before=before, after={"ended_on": on.isoformat()}, reason=reason)


def _close(user: Any, obj: Any, field: str, on: dt.date, stays: Any, stay_event: str, event: str,
           stay_reason: str, reason: str, errors: Errors) -> None:
    """死亡/迁出: end the open 入住 or 入托 on that day, set the date, re-check scope and audit, as one step."""
    _end_stays(user, list(stays.select_for_update().filter(_open_after(on))), on, stay_event, stay_reason,
               errors, field)
    errors.raise_if_any()
    setattr(obj, field, on)
    obj.save(update_fields=[field, "updated_at"])
    ensure_in_scope(obj, user, "change")
    record(user, event, obj, before={field: None}, after={field: on.isoformat()}, reason=_reason(reason))


def record_death(user: Any, person: ElderlyPerson, on: Any, reason: str = "") -> ElderlyPerson:
    """登记死亡: also ends the open 入住 on that date, so the bed is free and indicators stay right."""
    _require(user, "elderly", "change", "无权修改老年人信息")
    with transaction.atomic():
        person = lock_scoped(ElderlyPerson, user, "change", person.pk)
        errors = Errors()
        on = as_date(on, "died_on", "死亡日期", errors, required=True)
        not_future(on, "died_on", "死亡日期", errors)
        if person.died_on is not None:
            errors.add("died_on", f"该老年人已于 {person.died_on:%Y-%m-%d} 登记死亡")
        if on and person.birth_date and on < person.birth_date:
            errors.add("died_on", "死亡日期不能早于出生日期")
        errors.raise_if_any()
        stays = Residence.objects.filter(person=person)
        _close(user, person, "died_on", on, stays, "discharge", "death", _reason(reason) or "死亡", reason, errors)
    return person


def record_move_out(user: Any, person: ElderlyPerson, on: Any, reason: str = "") -> ElderlyPerson:
    """登记迁出: the person leaves the city's registry; an open 入住 ends the same day."""
    _require(user, "elderly", "change", "无权修改老年人信息")
    with transaction.atomic():
        person = lock_scoped(ElderlyPerson, user, "change", person.pk)
        errors = Errors()
        on = as_date(on, "moved_out_on", "迁出日期", errors, required=True)
        not_future(on, "moved_out_on", "迁出日期", errors)
        if person.died_on is not None:
            errors.add("moved_out_on", f"该老年人已于 {person.died_on:%Y-%m-%d} 登记死亡，不能办理迁出")
        if person.moved_out_on is not None:
            errors.add("moved_out_on", f"该老年人已于 {person.moved_out_on:%Y-%m-%d} 迁出")
        errors.raise_if_any()
        stays = Residence.objects.filter(person=person)
        _close(user, person, "moved_out_on", on, stays, "discharge", "move_out", _reason(reason) or "迁出", reason, errors)
    return person


def _residence_audit(res: Residence) -> dict:
    return {"person": res.person_id, "institution": res.institution_id, "region": res.region_id,
            "bed_type": res.bed_type, "started_on": res.started_on.isoformat(),
            "ended_on": res.ended_on.isoformat() if res.ended_on else None}


def admit(user: Any, person: ElderlyPerson, institution: Institution, bed_type: str, on: Any,
          reason: str = "") -> Residence:
    """办理入住, enforcing rules.check_admission with the institution row locked while beds are counted."""
    _require(user, "elderly", "add", "无权办理入住")
    with transaction.atomic():
        person = lock_scoped(ElderlyPerson, user, "change", person.pk)
        errors = Errors()
        inst = (Institution.objects.for_user(user, "view").select_for_update(of=("self",))
                .filter(pk=getattr(institution, "pk", institution)).first())
        if inst is None:
            errors.add("institution", "机构不存在或不在您的管辖范围内")
        on = as_date(on, "started_on", "入住日期", errors, required=True)
        not_future(on, "started_on", "入住日期", errors)
        bed_type = bed_type or BedType.ORDINARY
        if bed_type not in BedType.values:
            errors.add("bed_type", f"床位类型取值无效：{str(bed_type)[:20]}")
        if inst is not None and inst.kind == Kind.CHILDCARE:
            errors.add("institution", "托育机构不能办理老年人入住")
        elif inst is not None and inst.status != Status.OPERATING:
            errors.add("institution", f"机构状态为“{inst.get_status_display()}”，不能办理入住")
        if on and person.birth_date and on < person.birth_date:
            errors.add("started_on", "入住日期不能早于出生日期")
        errors.raise_if_any()
        stays = Residence.objects.filter(_open_after(on), institution=inst)
        refusals = rules.check_admission(
            died_on=person.died_on, moved_out_on=person.moved_out_on, on=on, beds=inst.beds,
            residents=stays.count(), nursing=bed_type == BedType.NURSING, nursing_beds=inst.nursing_beds,
            nursing_residents=stays.filter(bed_type=BedType.NURSING).count(),
            already_resident=Residence.objects.filter(_open_after(on), person=person).exists(),
        )
        if refusals:
            raise ValidationError(refusals)
        res = Residence.objects.create(person=person, institution=inst, region_id=inst.region_id,
                                       bed_type=bed_type, started_on=on)
        ensure_in_scope(res, user, "change")
        record(user, "admit", res, after=_residence_audit(res), reason=_reason(reason),
               detail={"person": person.name_masked, "institution": inst.name})
    return res


def discharge(user: Any, residence: Residence, on: Any, reason: str = "") -> Residence:
    """办理离院: ``on`` is the leaving day; the bed counts as free from then on."""
    _require(user, "elderly", "change", "无权办理离院")
    with transaction.atomic():
        res = lock_scoped(Residence, user, "change", residence.pk)
        errors = Errors()
        on = as_date(on, "ended_on", "离院日期", errors, required=True)
        not_future(on, "ended_on", "离院日期", errors)
        if res.ended_on is not None:
            errors.add("ended_on", f"该入住记录已于 {res.ended_on:%Y-%m-%d} 离院")
        elif on and on < res.started_on:
            errors.add("ended_on", f"离院日期不能早于入住日期 {res.started_on:%Y-%m-%d}")
        errors.raise_if_any()
        res.ended_on = on
        res.save(update_fields=["ended_on"])
        ensure_in_scope(res, user, "change")
        record(user, "discharge", res, before={"ended_on": None}, after={"ended_on": on.isoformat()},
               reason=_reason(reason))
    return res


# --- 婴幼儿 -------------------------------------------------------------------------------------

def _apply_infant(user: Any, infant: Infant, data: dict, creating: bool) -> list[str]:
    errors = Errors()
    warnings = apply_identity(infant, data, errors, creating=creating)
    if creating or "region" in data:
        region = scoped_region(user, data.get("region"), errors)
        if region is not None:
            infant.region = region
    guardian = clean_text(data, "guardian_name", "监护人姓名", errors, 50, required=creating)
    if guardian is not None:
        if guardian:
            infant.guardian_name = guardian
        else:
            errors.add("guardian_name", "监护人姓名不能为空")
    relation = clean_text(data, "guardian_relation", "与婴幼儿关系", errors, 10)
    if relation is not None:
        infant.guardian_relation = relation
    address = clean_text(data, "address", "居住地址", errors, 200)
    if address is not None:
        infant.address = address
    errors.raise_if_any()
    months = age_months(infant.birth_date)
    if months is not None and months >= 36:
        warnings.append(f"按身份证号计算已满 {months} 个月（3 周岁以上），请核对")
    return warnings


def create_infant(user: Any, data: dict, reason: str = "") -> tuple[Infant, list[str]]:
    """登记婴幼儿: guardian required; birth date and sex come from the ID."""
    _require(user, "infant", "add", "无权新增婴幼儿信息")
    return create_person(user, Infant, data, _apply_infant, INFANT_FIELDS, reason)


def update_infant(user: Any, infant: Infant, data: dict, reason: str = "") -> tuple[Infant, list[str]]:
    _require(user, "infant", "change", "无权修改婴幼儿信息")
    return update_person(user, Infant, infant.pk, data, _apply_infant, INFANT_FIELDS, reason)


def record_infant_move_out(user: Any, infant: Infant, on: Any, reason: str = "") -> Infant:
    _require(user, "infant", "change", "无权修改婴幼儿信息")
    with transaction.atomic():
        infant = lock_scoped(Infant, user, "change", infant.pk)
        errors = Errors()
        on = as_date(on, "moved_out_on", "迁出日期", errors, required=True)
        not_future(on, "moved_out_on", "迁出日期", errors)
        if infant.moved_out_on is not None:
            errors.add("moved_out_on", f"该婴幼儿已于 {infant.moved_out_on:%Y-%m-%d} 迁出")
        errors.raise_if_any()
        stays = Enrolment.objects.filter(infant=infant)
        _close(user, infant, "moved_out_on", on, stays, "withdraw", "move_out", _reason(reason) or "迁出", reason, errors)
    return infant


def _enrolment_audit(e: Enrolment) -> dict:
    return {"infant": e.infant_id, "institution": e.institution_id, "class": e.childcare_class_id,
            "region": e.region_id, "started_on": e.started_on.isoformat(),
            "ended_on": e.ended_on.isoformat() if e.ended_on else None}


def enrol(user: Any, infant: Infant, childcare_class: ChildcareClass, on: Any, reason: str = "") -> Enrolment:
    """办理入托, enforcing rules.check_enrolment with the class row locked while places are counted."""
    _require(user, "infant", "add", "无权办理入托")
    with transaction.atomic():
        infant = lock_scoped(Infant, user, "change", infant.pk)
        errors = Errors()
        klass = (ChildcareClass.objects.select_for_update(of=("self",)).select_related("institution")
                 .filter(pk=getattr(childcare_class, "pk", childcare_class)).first())
        visible = Institution.objects.for_user(user, "view")
        if klass is None or not visible.filter(pk=klass.institution_id).exists():
            errors.add("childcare_class", "班级不存在或不在您的管辖范围内")
            klass = None
        on = as_date(on, "started_on", "入托日期", errors, required=True)
        not_future(on, "started_on", "入托日期", errors)
        if klass is not None:
            inst = klass.institution
            if inst.kind != Kind.CHILDCARE:
                errors.add("childcare_class", "只能在托育机构的班级办理入托")
            elif inst.status != Status.OPERATING:
                errors.add("childcare_class", f"机构状态为“{inst.get_status_display()}”，不能办理入托")
        if infant.birth_date is None:
            errors.add("infant", "缺少出生日期，请先补录身份证号")
        if on and infant.moved_out_on is not None and infant.moved_out_on <= on:
            errors.add("infant", f"该婴幼儿已于 {infant.moved_out_on:%Y-%m-%d} 迁出，不能入托")
        if on and infant.birth_date and on < infant.birth_date:
            errors.add("started_on", "入托日期不能早于出生日期")
        errors.raise_if_any()
        assert klass is not None and infant.birth_date is not None  # no errors: class found, birth date known
        if Enrolment.objects.filter(_open_after(on), infant=infant).exists():
            raise Conflict(["该婴幼儿已在托，请先办理离托"])
        refusals = rules.check_enrolment(rules.EnrolmentCheck(
            birth_date=infant.birth_date, on=on, class_type=klass.class_type, class_places=klass.places,
            enrolled=Enrolment.objects.filter(_open_after(on), childcare_class=klass).count(),
            caregivers=klass.caregivers,
        ))
        if refusals:
            raise ValidationError(refusals)
        enrolment = Enrolment.objects.create(infant=infant, institution=inst, childcare_class=klass,
                                             region_id=inst.region_id, started_on=on)
        ensure_in_scope(enrolment, user, "change")
        record(user, "enrol", enrolment, after=_enrolment_audit(enrolment), reason=_reason(reason),
               detail={"infant": infant.name_masked, "class": str(klass)})
    return enrolment


def withdraw(user: Any, enrolment: Enrolment, on: Any, reason: str = "") -> Enrolment:
    """办理离托."""
    _require(user, "infant", "change", "无权办理离托")
    with transaction.atomic():
        e = lock_scoped(Enrolment, user, "change", enrolment.pk)
        errors = Errors()
        on = as_date(on, "ended_on", "离托日期", errors, required=True)
        not_future(on, "ended_on", "离托日期", errors)
        if e.ended_on is not None:
            errors.add("ended_on", f"该入托记录已于 {e.ended_on:%Y-%m-%d} 离托")
        elif on and on < e.started_on:
            errors.add("ended_on", f"离托日期不能早于入托日期 {e.started_on:%Y-%m-%d}")
        errors.raise_if_any()
        e.ended_on = on
        e.save(update_fields=["ended_on"])
        ensure_in_scope(e, user, "change")
        record(user, "withdraw", e, before={"ended_on": None}, after={"ended_on": on.isoformat()},
               reason=_reason(reason))
    return e
