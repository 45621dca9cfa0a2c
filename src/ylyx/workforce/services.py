"""Operations that change 从业人员 and their certificates, training and employment history.

Same shape as people.services: one transaction, rows re-read through the user's scope, saved,
re-checked with ``ensure_in_scope``, audited with masked values. An institution operator works only
on staff of their own institution, so a new practitioner they enter belongs to that institution.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from ylyx.audit.services import record
from ylyx.core.permissions import Action, allows
from ylyx.core.scoping import ensure_in_scope
from ylyx.institutions.models import Institution
from ylyx.people.identity import (
    Errors,
    apply_choice,
    apply_identity,
    as_date,
    changed,
    clean_text,
    create_person,
    lock_scoped,
    not_future,
    scoped_region,
    snapshot,
    update_person,
)

from .models import Certificate, Employment, Practitioner, PractitionerRole, TrainingRecord

FIELDS = ("role", "education", "institution")


def _require(user: Any, action: Action, message: str) -> None:
    if not allows(getattr(user, "role", ""), "practitioner", action):
        raise PermissionDenied(message)


def _institution(user: Any, value: Any, errors: Errors, field: str = "institution") -> Institution | None:
    pk = getattr(value, "pk", value)
    inst = Institution.objects.for_user(user, "view").filter(pk=pk).first() if pk not in (None, "") else None
    if inst is None:
        errors.add(field, "机构不存在或不在您的管辖范围内")
    return inst


def _apply(user: Any, p: Practitioner, data: dict, creating: bool) -> list[str]:
    errors = Errors()
    warnings = apply_identity(p, data, errors, creating=creating)
    if user.role == "operator":
        # An operator's staff belong to their institution and its region; nothing else is theirs to set.
        if not user.institution_id:
            raise PermissionDenied("您的账号未关联机构，不能登记从业人员")
        if creating:
            p.institution = user.institution
            p.region_id = user.institution.region_id
    else:
        if creating or "region" in data:
            region = scoped_region(user, data.get("region"), errors)
            if region is not None:
                p.region = region
        if "institution" in data:
            if data.get("institution") in (None, ""):
                p.institution = None
            else:
                inst = _institution(user, data.get("institution"), errors)
                if inst is not None:
                    p.institution = inst
    if creating and not data.get("role"):
        errors.add("role", "岗位不能为空")
    else:
        apply_choice(p, data, "role", errors)
    education = clean_text(data, "education", "学历", errors, 20)
    if education is not None:
        p.education = education
    errors.raise_if_any()
    return warnings


def _snap(p: Practitioner) -> dict:
    return snapshot(p, FIELDS)


def create_practitioner(user: Any, data: dict, reason: str = "") -> tuple[Practitioner, list[str]]:
    _require(user, "add", "无权新增从业人员")
    return create_person(user, Practitioner, data, _apply, FIELDS, reason)


def update_practitioner(user: Any, practitioner: Practitioner, data: dict,
                        reason: str = "") -> tuple[Practitioner, list[str]]:
    _require(user, "change", "无权修改从业人员信息")
    return update_person(user, Practitioner, practitioner.pk, data, _apply, FIELDS, reason)


def add_certificate(user: Any, practitioner: Practitioner, data: dict) -> Certificate:
    _require(user, "change", "无权修改从业人员信息")
    with transaction.atomic():
        p = lock_scoped(Practitioner, user, "change", practitioner.pk)
        errors = Errors()
        name = clean_text(data, "name", "证书名称", errors, 80, required=True)
        number = clean_text(data, "number", "证书编号", errors, 60) or ""
        level = clean_text(data, "level", "等级", errors, 20) or ""
        issuer = clean_text(data, "issuer", "发证机关", errors, 80) or ""
        issued = as_date(data.get("issued_on"), "issued_on", "发证日期", errors, required=True)
        not_future(issued, "issued_on", "发证日期", errors)
        expires = as_date(data.get("expires_on"), "expires_on", "有效期至", errors)
        if issued and expires and expires < issued:
            errors.add("expires_on", "有效期至不能早于发证日期")
        errors.raise_if_any()
        assert name is not None and issued is not None  # no errors: both required values parsed
        cert = Certificate.objects.create(practitioner=p, name=name, number=number, level=level, issuer=issuer,
                                          issued_on=issued, expires_on=expires)
        ensure_in_scope(p, user, "change")
        record(user, "add_certificate", p, after={"certificate": cert.pk, "name": name, "level": level,
                                                  "issued_on": issued.isoformat(),
                                                  "expires_on": expires.isoformat() if expires else None})
    return cert


def add_training(user: Any, practitioner: Practitioner, data: dict) -> TrainingRecord:
    _require(user, "change", "无权修改从业人员信息")
    with transaction.atomic():
        p = lock_scoped(Practitioner, user, "change", practitioner.pk)
        errors = Errors()
        course = clean_text(data, "course", "培训内容", errors, 120, required=True)
        provider = clean_text(data, "provider", "培训机构", errors, 80) or ""
        completed = as_date(data.get("completed_on"), "completed_on", "完成日期", errors, required=True)
        not_future(completed, "completed_on", "完成日期", errors)
        hours = data.get("hours") or 0
        try:
            hours = int(hours)
        except (TypeError, ValueError):
            errors.add("hours", "学时应为整数")
            hours = 0
        if not 0 <= hours <= 2000:
            errors.add("hours", "学时应在 0—2000 之间")
        errors.raise_if_any()
        assert course is not None and completed is not None  # no errors: both required values parsed
        tr = TrainingRecord.objects.create(practitioner=p, course=course, provider=provider, hours=hours,
                                           completed_on=completed, passed=bool(data.get("passed", True)))
        ensure_in_scope(p, user, "change")
        record(user, "add_training", p, after={"training": tr.pk, "course": course, "hours": hours,
                                               "completed_on": completed.isoformat(), "passed": tr.passed})
    return tr


def add_employment(user: Any, practitioner: Practitioner, data: dict) -> Employment:
    """从业经历. An open-ended one is the current job, so it also sets the practitioner's institution."""
    _require(user, "change", "无权修改从业人员信息")
    with transaction.atomic():
        p = lock_scoped(Practitioner, user, "change", practitioner.pk)
        before = _snap(p)
        errors = Errors()
        inst = _institution(user, data.get("institution"), errors)
        role = str(data.get("role") or p.role)
        if role not in PractitionerRole.values:
            errors.add("role", f"岗位取值无效：{role[:20]}")
        started = as_date(data.get("started_on"), "started_on", "入职日期", errors, required=True)
        not_future(started, "started_on", "入职日期", errors)
        ended = as_date(data.get("ended_on"), "ended_on", "离职日期", errors)
        not_future(ended, "ended_on", "离职日期", errors)
        if started and ended and ended < started:
            errors.add("ended_on", "离职日期不能早于入职日期")
        if inst is not None and ended is None and p.employments.filter(institution=inst, ended_on__isnull=True).exists():
            errors.add("institution", "该人员已在此机构任职，请先登记离职")
        errors.raise_if_any()
        assert inst is not None and started is not None  # no errors: institution found, start date parsed
        emp = Employment.objects.create(practitioner=p, institution=inst, role=role,
                                        full_time=bool(data.get("full_time", True)), started_on=started,
                                        ended_on=ended)
        if ended is None:
            p.institution = inst
            p.role = role
            p.save(update_fields=["institution", "role", "updated_at"])
        ensure_in_scope(p, user, "change")
        b, a = changed(before, _snap(p))
        a["employment"] = {"institution": inst.pk, "role": role, "started_on": started.isoformat(),
                           "ended_on": ended.isoformat() if ended else None}
        record(user, "add_employment", p, before=b, after=a)
    return emp


def end_employment(user: Any, employment: Employment, on: Any) -> Employment:
    """登记离职. The scope check is on the state before the change: an operator may release their own
    staff, after which the record is no longer theirs (it returns to the county's view only)."""
    _require(user, "change", "无权修改从业人员信息")
    with transaction.atomic():
        p = lock_scoped(Practitioner, user, "change", employment.practitioner_id)
        emp = Employment.objects.select_for_update().filter(pk=employment.pk, practitioner=p).first()
        if emp is None:
            raise PermissionDenied("超出您的管辖范围或权限，操作未保存")
        errors = Errors()
        on = as_date(on, "ended_on", "离职日期", errors, required=True)
        not_future(on, "ended_on", "离职日期", errors)
        if emp.ended_on is not None:
            errors.add("ended_on", f"该任职已于 {emp.ended_on:%Y-%m-%d} 结束")
        elif on and on < emp.started_on:
            errors.add("ended_on", f"离职日期不能早于入职日期 {emp.started_on:%Y-%m-%d}")
        errors.raise_if_any()
        emp.ended_on = on
        emp.save(update_fields=["ended_on"])
        if p.institution_id == emp.institution_id and not p.employments.filter(
                institution_id=emp.institution_id, ended_on__isnull=True).exists():
            p.institution = None
            p.save(update_fields=["institution", "updated_at"])
        if p.institution_id is not None or user.role != "operator":
            ensure_in_scope(p, user, "change")
        record(user, "end_employment", p, after={"employment": emp.pk, "ended_on": on.isoformat()})
    return emp

