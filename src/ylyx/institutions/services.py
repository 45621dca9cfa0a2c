"""Operations that change the institutions registry: each is one transaction, re-checked and audited.

Every write follows the same path: lock the institution through ``for_user(user, "change")`` (which
already applies the region scope and the 民政/卫健 domain rule), validate with Chinese messages keyed by
field, save, write the dated CapacityRecord when capacity or status changed, re-check the saved state
with ``ensure_in_scope`` (raising rolls everything back), then write the audit event.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core.errors import Conflict
from ylyx.core.gates import refusals
from ylyx.core.mask import mask_phone
from ylyx.core.permissions import allows
from ylyx.core.scoping import ensure_in_scope
from ylyx.core.validators import validate_phone, validate_uscc
from ylyx.regions.models import Region

from . import rules
from .models import (
    FILING_TRANSITIONS,
    SUBTYPES_BY_KIND,
    CapacityRecord,
    ChildcareClass,
    ClassType,
    Filing,
    FilingEvent,
    FilingStatus,
    Institution,
    Kind,
    ServicePoint,
    Status,
    Subtype,
)
from .querysets import selectors

OUT_OF_SCOPE = "超出您的管辖范围或权限，操作未保存"

# What the registry form and the API may set on an institution.
INSTITUTION_FIELDS = (
    "name", "kind", "subtype", "uscc", "legal_form", "operation_mode", "region", "address", "lat", "lon",
    "floor_area", "beds", "nursing_beds", "places", "affordable_places", "medical_service",
    "monthly_fee_min", "monthly_fee_max", "status", "opened_on", "contact_phone",
)
# An operator keeps their own institution's contact and service details current; identity, location,
# capacity and status are registry facts changed by the authority (变更备案).
OPERATOR_FIELDS = ("address", "lat", "lon", "floor_area", "medical_service", "monthly_fee_min",
                   "monthly_fee_max", "contact_phone")
# A change in any of these starts a new CapacityRecord (the region too: indicators count by region).
CAPACITY_FIELDS = ("region_id", "status", "beds", "nursing_beds", "places", "affordable_places")
CLASS_FIELDS = ("name", "class_type", "places", "affordable", "caregivers")
# Operators keep their classes' names and caregivers current; places and class types are capacity.
OPERATOR_CLASS_FIELDS = ("name", "caregivers")
OPERATOR_REGISTRY = "机构经办人不能办理此项（床位、托位、班级和服务点的登记由主管部门办理）"
SERVICE_POINT_FIELDS = ("name", "region", "address", "lat", "lon")
DOMAIN_AUTHORITY = {"elder": "民政局", "childcare": "卫生健康委员会"}


# ---------------------------------------------------------------- helpers


def _today() -> dt.date:
    return timezone.localdate()


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def snapshot(inst: Institution) -> dict[str, Any]:
    """JSON-safe state for the audit trail; the contact phone may be a person's mobile, so it is masked."""
    data = {f.attname: _json(getattr(inst, f.attname)) for f in Institution._meta.concrete_fields
            if f.name not in ("id", "created_at", "updated_at")}
    data["contact_phone"] = mask_phone(inst.contact_phone)
    return data


def class_snapshot(cls: ChildcareClass) -> dict[str, Any]:
    return {"institution_id": cls.institution_id, **{f: getattr(cls, f) for f in CLASS_FIELDS}}


def filing_snapshot(filing: Filing) -> dict[str, Any]:
    return {f: _json(getattr(filing, f)) for f in ("status", "number", "submitted_on", "filed_on",
                                                   "cancelled_on", "authority")}


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _raise(errors: dict[str, list[str]]) -> None:
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)


def _lock_for_change(user: Any, pk: int) -> Institution:
    """The institution as the user may change it, locked for this transaction; otherwise refused."""
    inst = Institution.objects.for_user(user, "change").select_for_update().filter(pk=pk).first()
    if inst is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    return inst


def _region(value: Any) -> Region | None:
    if value is None or value == "":
        return None
    if isinstance(value, Region):
        return value
    return Region.objects.filter(code=str(value).strip()).first()


def _check_region(user: Any, region: Region | None, errors: dict, field: str = "region") -> None:
    """A registry location is a county or below, inside the user's own region subtree."""
    if region is None:
        errors.setdefault(field, []).append("请选择所在区划（须为有效的行政区划）")
        return
    if region.level < Region.Level.COUNTY:
        errors.setdefault(field, []).append(f"所在区划应选择到旗县区及以下，“{region.name}”是{region.get_level_display()}")
        return
    prefix = getattr(user, "region_prefix", "")
    if getattr(user, "role", "") != "operator" and (not prefix or not region.code.startswith(prefix)):
        errors.setdefault(field, []).append(f"所在区划“{region.name}”不在您的管辖范围内")


def _effective(on: dt.date | None, default: dt.date | None = None) -> dt.date:
    on = on or default or _today()
    if on > _today():
        raise ValidationError({"effective_on": [f"生效日期（{on:%Y-%m-%d}）不能晚于今天"]})
    return on


def _capacity_state(obj: Any) -> dict[str, Any]:
    return {f: (obj.get(f) if isinstance(obj, dict) else getattr(obj, f)) for f in CAPACITY_FIELDS}


def write_capacity(inst: Institution, on: dt.date, baseline: dict | None = None) -> CapacityRecord | None:
    """Close the open CapacityRecord and start one from ``on`` if capacity, status or region changed.

    ``baseline`` is the institution's state before the change; it is recorded first when the institution
    has no history yet (registered before capacity was tracked), from its opening date. Importers call
    this after saving an institution so that indicators can read it at a date.
    """
    state = _capacity_state(inst)
    current = CapacityRecord.objects.select_for_update().filter(institution=inst, valid_to__isnull=True).first()
    if current is None:
        if baseline is not None:
            since = baseline.get("opened_on") or timezone.localdate(inst.created_at)
            since = dt.date.fromisoformat(since) if isinstance(since, str) else since
            if since < on:
                if _capacity_state(baseline) == state:
                    return CapacityRecord.objects.create(institution=inst, valid_from=since, **state)
                CapacityRecord.objects.create(institution=inst, valid_from=since, valid_to=on,
                                              **_capacity_state(baseline))
        return CapacityRecord.objects.create(institution=inst, valid_from=on, **state)
    if _capacity_state(current) == state:
        return None
    if on < current.valid_from:
        raise ValidationError({"effective_on": [
            f"生效日期（{on:%Y-%m-%d}）不能早于上一次床位、托位或状态变更的生效日期（{current.valid_from:%Y-%m-%d}）"]})
    if on == current.valid_from:
        for k, v in state.items():
            setattr(current, k, v)
        current.save()
        return current
    current.valid_to = on
    current.save(update_fields=["valid_to"])
    return CapacityRecord.objects.create(institution=inst, valid_from=on, **state)


def backfill_capacity(institutions: Any = None) -> int:
    """One open CapacityRecord, from the opening date (else the registration date), for every institution
    that has none: for rows written outside these services (demo data, bulk loads). Returns rows created."""
    qs = Institution.objects.all() if institutions is None else institutions
    qs = qs.exclude(capacity_history__isnull=False)
    rows = [CapacityRecord(institution=i, valid_from=i.opened_on or timezone.localdate(i.created_at),
                           **_capacity_state(i)) for i in qs.iterator(chunk_size=2000)]
    CapacityRecord.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _assign(inst: Institution, data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({k: ["该字段不能在此修改"] for k in sorted(unknown)})
    for key, value in data.items():
        if key == "region":
            region = _region(value)
            inst.region_id = region.code if region else ""
            if region is not None:
                inst.region = region
        elif key in ("uscc", "name", "address", "contact_phone"):
            setattr(inst, key, (value or "").strip())
        elif value is None and key in ("beds", "nursing_beds", "places", "affordable_places"):
            setattr(inst, key, 0)
        else:
            setattr(inst, key, value)


def _validate_institution(user: Any, inst: Institution, residents: int) -> None:
    errors: dict[str, list[str]] = {}
    if not inst.name:
        errors["name"] = ["请填写机构名称"]
    if inst.kind not in Kind.values:
        errors["kind"] = ["请选择机构类别"]
    elif inst.subtype not in SUBTYPES_BY_KIND[Kind(inst.kind)]:
        allowed = "、".join(s.label for s in SUBTYPES_BY_KIND[Kind(inst.kind)])
        label = Subtype(inst.subtype).label if inst.subtype in Subtype.values else inst.subtype or "（空）"
        errors["subtype"] = [f"类型“{label}”不属于“{Kind(inst.kind).label}”，可选：{allowed}"]
    if inst.uscc:
        try:
            inst.uscc = validate_uscc(inst.uscc)
        except ValidationError as e:
            errors["uscc"] = list(e.messages)
        else:
            if Institution.objects.filter(uscc=inst.uscc).exclude(pk=inst.pk).exists():
                errors["uscc"] = ["该统一社会信用代码已登记为其他机构；同一执照的其他地址请登记为服务点（一照多址）"]
    if inst.contact_phone:
        try:
            inst.contact_phone = validate_phone(inst.contact_phone)
        except ValidationError as e:
            errors["contact_phone"] = list(e.messages)
    _check_region(user, _region(inst.region_id), errors)

    beds, nursing = inst.beds or 0, inst.nursing_beds or 0
    places, affordable = inst.places or 0, inst.affordable_places or 0
    if inst.kind == Kind.CHILDCARE:
        if beds or nursing:
            errors.setdefault("beds", []).append("托育机构不设养老床位，床位数和护理型床位数应为 0")
    elif places or affordable:
        errors.setdefault("places", []).append("养老机构和社区养老服务设施不设托位，托位数和普惠托位数应为 0")
    errors.setdefault("nursing_beds", []).extend(rules.check_beds(beds, nursing))
    errors.setdefault("beds", []).extend(rules.check_beds(beds, 0, residents))
    if affordable > places:
        errors.setdefault("affordable_places", []).append(f"普惠托位数（{affordable}）不能超过托位数（{places}）")
    if inst.pk and inst.classes.exists():
        if inst.kind != Kind.CHILDCARE:
            errors.setdefault("kind", []).append("该机构已登记托育班级，不能改为养老类别")
        sums = _class_sums(inst)
        if (places, affordable) != sums:
            errors.setdefault("places", []).append(
                f"该机构已登记班级，托位数和普惠托位数由班级汇总（托位 {sums[0]}、普惠托位 {sums[1]}），请在班级中修改")
    if inst.monthly_fee_min is not None and inst.monthly_fee_max is not None \
            and inst.monthly_fee_min > inst.monthly_fee_max:
        errors.setdefault("monthly_fee_max", []).append("月收费上限不能低于月收费下限")
    if inst.lat is not None and not -90 <= inst.lat <= 90:
        errors.setdefault("lat", []).append("纬度应在 -90 到 90 之间")
    if inst.lon is not None and not -180 <= inst.lon <= 180:
        errors.setdefault("lon", []).append("经度应在 -180 到 180 之间")
    if inst.opened_on and inst.closed_on and inst.closed_on < inst.opened_on:
        errors.setdefault("opened_on", []).append("开业日期不能晚于关停日期")
    errors = {k: v for k, v in errors.items() if v}
    # Lengths, choices and decimal digits, in Django's own (Chinese) messages.
    try:
        inst.full_clean(exclude=[*errors, "region", "domain"], validate_unique=False, validate_constraints=False)
    except ValidationError as e:
        for k, msgs in e.message_dict.items():
            errors.setdefault(k, []).extend(msgs)
    _raise(errors)


def _apply_status(inst: Institution, old: str, new: str, on: dt.date) -> None:
    if new == Status.CLOSED:
        inst.closed_on = on
    elif old == Status.CLOSED:
        inst.closed_on = None
    if new == Status.OPERATING and inst.opened_on is None:
        inst.opened_on = on


def _operator_data(inst: Institution, data: Mapping[str, Any]) -> dict[str, Any]:
    """An operator may resend registry facts unchanged (a full PUT), but not change them."""
    errors, allowed = {}, {}
    for key, value in data.items():
        if key in OPERATOR_FIELDS:
            allowed[key] = value
            continue
        if key == "region":
            region = _region(value)
            same = region is not None and region.code == inst.region_id
        else:
            current = getattr(inst, key, None)
            same = key in INSTITUTION_FIELDS and (current == value or (isinstance(value, str) and current == value.strip()))
        if not same:
            errors[key] = ["机构经办人不能修改此项，请联系主管部门办理变更"]
    _raise(errors)
    return allowed


# ---------------------------------------------------------------- institutions


@transaction.atomic
def create_institution(user: Any, data: Mapping[str, Any], reason: str = "",
                       effective_on: dt.date | None = None) -> Institution:
    """登记机构. Capacity is recorded from ``effective_on``, else the opening date (if past), else today."""
    if not allows(getattr(user, "role", ""), Institution.scope_resource, "add"):
        raise PermissionDenied("无权登记机构")
    data = dict(data)
    effective_on = data.pop("effective_on", None) or effective_on
    reason = data.pop("reason", None) or reason
    inst = Institution(status=Status.OPERATING)
    _assign(inst, data, INSTITUTION_FIELDS)
    _validate_institution(user, inst, residents=0)
    opened = inst.opened_on if inst.opened_on and inst.opened_on <= _today() else None
    on = _effective(effective_on, opened)
    if inst.status == Status.CLOSED and inst.closed_on is None:
        inst.closed_on = on
    inst.save()
    write_capacity(inst, on)
    ensure_in_scope(inst, user, "add")
    record(user, "create", inst, after=snapshot(inst), reason=reason, detail={"effective_on": on.isoformat()})
    return inst


@transaction.atomic
def update_institution(user: Any, inst: Institution, data: Mapping[str, Any], reason: str = "",
                       effective_on: dt.date | None = None) -> Institution:
    """变更机构信息; capacity or status changes take effect from ``effective_on`` (default today)."""
    data = dict(data)
    effective_on = data.pop("effective_on", None) or effective_on
    reason = data.pop("reason", None) or reason
    current = _lock_for_change(user, inst.pk)
    before = snapshot(current)
    if getattr(user, "role", "") == "operator":
        _assign(current, _operator_data(current, data), OPERATOR_FIELDS)
    else:
        _assign(current, data, INSTITUTION_FIELDS)
    _validate_institution(user, current, residents=selectors.active_residents(current))
    _check_affordable(current, before)
    on = _effective(effective_on)
    if current.status != before["status"]:
        if current.status in (Status.SUSPENDED, Status.CLOSED) and not (reason or "").strip():
            raise ValidationError({"reason": ["暂停或关停机构须填写原因"]})
        _apply_status(current, before["status"], current.status, on)
    current.save()
    write_capacity(current, on, baseline=before)
    ensure_in_scope(current, user, "change")
    old, new = _diff(before, snapshot(current))
    if new:
        record(user, "update", current, before=old, after=new, reason=reason,
               detail={"effective_on": on.isoformat()})
    return current


@transaction.atomic
def set_status(user: Any, inst: Institution, status: str, on: dt.date | None = None,
               reason: str = "") -> Institution:
    """筹建/运营/暂停/关停, dated; suspending or closing needs a reason."""
    _refuse_operator(user)
    current = _lock_for_change(user, inst.pk)
    if status == current.status:
        raise Conflict({"status": [f"机构当前已是“{current.get_status_display()}”状态"]})
    errors: dict[str, list[str]] = {}
    if status not in Status.values:
        errors["status"] = ["请选择有效的机构状态"]
    if status in (Status.SUSPENDED, Status.CLOSED) and not (reason or "").strip():
        errors["reason"] = ["暂停或关停机构须填写原因"]
    _raise(errors)
    on = _effective(on)
    before = snapshot(current)
    old_status = current.status
    current.status = status
    _apply_status(current, old_status, status, on)
    current.save()
    write_capacity(current, on, baseline=before)
    ensure_in_scope(current, user, "change")
    old, new = _diff(before, snapshot(current))
    record(user, "status_change", current, before=old, after=new, reason=reason,
           detail={"effective_on": on.isoformat()})
    return current


# ---------------------------------------------------------------- childcare classes


def _class_sums(inst: Institution) -> tuple[int, int]:
    places = affordable = 0
    for p, aff in inst.classes.values_list("places", "affordable"):
        places += p
        affordable += p if aff else 0
    return places, affordable


def _validate_class(cls: ChildcareClass, enrolled: int, old_type: str | None = None) -> None:
    errors: dict[str, list[str]] = {}
    cls.name = (cls.name or "").strip()
    if not cls.name:
        errors["name"] = ["请填写班级名称"]
    elif ChildcareClass.objects.filter(institution_id=cls.institution_id, name=cls.name).exclude(pk=cls.pk).exists():
        errors["name"] = [f"班级名称“{cls.name}”在本机构已存在"]
    if cls.class_type not in ClassType.values:
        errors["class_type"] = ["请选择班型"]
        _raise(errors)
    if old_type is not None and old_type != cls.class_type and enrolled:
        errors["class_type"] = [f"班级现有 {enrolled} 名在托幼儿，不能更改班型"]
    places = cls.places or 0
    if places < 1:
        errors.setdefault("places", []).append("托位数应大于 0")
    errors.setdefault("places", []).extend(rules.check_class_size(cls.class_type, places))
    if enrolled > places:
        errors["places"].append(f"托位数（{places}）不能少于当前在托人数（{enrolled}）")
    if cls.caregivers is None or cls.caregivers < 0:
        errors["caregivers"] = ["请填写保育人员数"]
    else:
        errors["caregivers"] = rules.check_ratio(cls.class_type, enrolled, cls.caregivers)
    _raise(errors)


def _check_affordable(inst: Institution, before: dict) -> None:
    """Becoming 普惠 (the subtype, or more affordable places) passes the shared credit check (core.gates)."""
    more = (inst.affordable_places or 0) > (before.get("affordable_places") or 0)
    became = inst.subtype == Subtype.CC_AFFORDABLE and before.get("subtype") != Subtype.CC_AFFORDABLE
    if more or became:
        reasons = refusals("affordable", inst)
        if reasons:
            raise ValidationError({"affordable_places" if more else "subtype": reasons})


def _sync_places(inst: Institution, on: dt.date, before: dict) -> None:
    """托位 and 普惠托位 are the sums over classes; a change is a capacity change."""
    inst.places, inst.affordable_places = _class_sums(inst)
    _check_affordable(inst, before)
    inst.save(update_fields=["places", "affordable_places", "updated_at"])
    write_capacity(inst, on, baseline=before)


def _refuse_operator(user: Any) -> None:
    if getattr(user, "role", "") == "operator":
        raise PermissionDenied(OPERATOR_REGISTRY)


def _childcare_for_change(user: Any, inst_pk: int) -> Institution:
    inst = _lock_for_change(user, inst_pk)
    if inst.kind != Kind.CHILDCARE:
        raise ValidationError({"institution": ["只有托育机构可以设置班级"]})
    return inst


@transaction.atomic
def add_class(user: Any, inst: Institution, data: Mapping[str, Any], reason: str = "",
              effective_on: dt.date | None = None) -> ChildcareClass:
    data = dict(data)
    effective_on = data.pop("effective_on", None) or effective_on
    reason = data.pop("reason", None) or reason
    _refuse_operator(user)
    current = _childcare_for_change(user, inst.pk)
    before = snapshot(current)
    cls = ChildcareClass(institution=current, caregivers=0)
    _assign_class(cls, data)
    _validate_class(cls, enrolled=0)
    on = _effective(effective_on)
    cls.save()
    _sync_places(current, on, before)
    ensure_in_scope(current, user, "change")
    record(user, "class_create", cls, after=class_snapshot(cls), reason=reason,
           detail={"institution": _diff(before, snapshot(current))[1], "effective_on": on.isoformat()})
    return cls


def _assign_class(cls: ChildcareClass, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(CLASS_FIELDS)
    if unknown:
        raise ValidationError({k: ["该字段不能在此修改"] for k in sorted(unknown)})
    for k, v in data.items():
        setattr(cls, k, v)


def _class_for_change(user: Any, cls: ChildcareClass) -> tuple[Institution, ChildcareClass]:
    inst = _childcare_for_change(user, cls.institution_id)
    current = ChildcareClass.objects.select_for_update().filter(pk=cls.pk, institution=inst).first()
    if current is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    current.institution = inst
    return inst, current


@transaction.atomic
def update_class(user: Any, cls: ChildcareClass, data: Mapping[str, Any], reason: str = "",
                 effective_on: dt.date | None = None) -> ChildcareClass:
    """Change a class; its places may not fall below, nor its caregivers below the ratio for, those enrolled."""
    data = dict(data)
    effective_on = data.pop("effective_on", None) or effective_on
    reason = data.pop("reason", None) or reason
    inst, current = _class_for_change(user, cls)
    before_inst, before_cls = snapshot(inst), class_snapshot(current)
    old_type = current.class_type
    if getattr(user, "role", "") == "operator":
        changed = [k for k in data if k not in OPERATOR_CLASS_FIELDS and data[k] != getattr(current, k, None)]
        _raise({k: ["机构经办人不能修改此项，请联系主管部门办理变更"] for k in changed})
        data = {k: v for k, v in data.items() if k in OPERATOR_CLASS_FIELDS}
    _assign_class(current, data)
    _validate_class(current, enrolled=selectors.enrolled_in_class(current), old_type=old_type)
    on = _effective(effective_on)
    current.save()
    _sync_places(inst, on, before_inst)
    ensure_in_scope(inst, user, "change")
    old, new = _diff(before_cls, class_snapshot(current))
    if new:
        record(user, "class_update", current, before=old, after=new, reason=reason,
               detail={"institution": _diff(before_inst, snapshot(inst))[1], "effective_on": on.isoformat()})
    return current


@transaction.atomic
def delete_class(user: Any, cls: ChildcareClass, reason: str = "", effective_on: dt.date | None = None) -> None:
    _refuse_operator(user)
    inst, current = _class_for_change(user, cls)
    if current.enrolments.exists():  # type: ignore[attr-defined]
        raise ValidationError({"class": ["该班级有入托记录，不能删除；请先办理离托，或保留班级"]})
    before_inst, before_cls = snapshot(inst), class_snapshot(current)
    on = _effective(effective_on)
    record(user, "class_delete", current, before=before_cls, reason=reason,
           detail={"effective_on": on.isoformat()})
    current.delete()
    _sync_places(inst, on, before_inst)
    ensure_in_scope(inst, user, "change")


# ---------------------------------------------------------------- service points (一照多址)


@transaction.atomic
def add_service_point(user: Any, inst: Institution, data: Mapping[str, Any], reason: str = "") -> ServicePoint:
    """An extra address under the same licence: in the institution's county and the user's scope."""
    _refuse_operator(user)
    current = _lock_for_change(user, inst.pk)
    unknown = set(data) - set(SERVICE_POINT_FIELDS) - {"reason"}
    if unknown:
        raise ValidationError({k: ["该字段不能在此修改"] for k in sorted(unknown)})
    reason = data.get("reason") or reason
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = ["请填写服务点名称"]
    elif current.service_points.filter(name=name).exists():
        errors["name"] = [f"服务点“{name}”已登记"]
    region = _region(data.get("region"))
    _check_region(user, region, errors)
    if region is not None and "region" not in errors and region.code[:6] != current.region_id[:6]:
        errors["region"] = ["服务点应位于机构所在旗县区内（一照多址）"]
    lat, lon = data.get("lat"), data.get("lon")
    if lat is not None and not -90 <= lat <= 90:
        errors["lat"] = ["纬度应在 -90 到 90 之间"]
    if lon is not None and not -180 <= lon <= 180:
        errors["lon"] = ["经度应在 -180 到 180 之间"]
    _raise(errors)
    assert region is not None
    sp = ServicePoint.objects.create(institution=current, name=name, region=region,
                                     address=(data.get("address") or "").strip(), lat=lat, lon=lon)
    ensure_in_scope(current, user, "change")
    record(user, "service_point_add", sp, after={"institution_id": current.pk, "name": sp.name,
                                                 "region_id": sp.region_id, "address": sp.address},
           reason=reason)
    return sp


@transaction.atomic
def remove_service_point(user: Any, sp: ServicePoint, reason: str = "") -> None:
    _refuse_operator(user)
    current = _lock_for_change(user, sp.institution_id)
    point = ServicePoint.objects.filter(pk=sp.pk, institution=current).first()
    if point is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    record(user, "service_point_remove", point, before={"institution_id": current.pk, "name": point.name,
                                                        "region_id": point.region_id, "address": point.address},
           reason=reason)
    point.delete()


# ---------------------------------------------------------------- filing (备案)


def default_authority(inst: Institution) -> str:
    """The county-level department the institution files with: 卫健 for childcare, 民政 otherwise."""
    region = inst.region
    county = region if region.level == Region.Level.COUNTY else next(
        (r for r in region.ancestors() if r.level == Region.Level.COUNTY), region)
    return f"{county.name}{DOMAIN_AUTHORITY[inst.domain]}"


def filing_number(filing: Filing, on: dt.date) -> str:
    """Unique by construction (the filing's id), so concurrent approvals never collide."""
    inst = filing.institution
    return f"{'托' if inst.domain == 'childcare' else '养'}备{inst.region_id[:6]}{on.year}{filing.pk:06d}"


def allowed_transitions(user: Any, filing: Filing | None) -> list[str]:
    """The statuses this user may move the filing to now (for pages and the API)."""
    if filing is None:
        return [FilingStatus.SUBMITTED]
    nxt = [s for s in FilingStatus.values if s in FILING_TRANSITIONS[FilingStatus(filing.status)]]
    if getattr(user, "role", "") == "operator":
        nxt = [s for s in nxt if s == FilingStatus.SUBMITTED]
    return nxt


def _transition(user: Any, inst: Institution, filing: Filing, new_status: str, on: dt.date | None,
                reason: str) -> Filing:
    if new_status not in FilingStatus.values:
        raise ValidationError({"status": ["请选择有效的备案状态"]})
    new = FilingStatus(new_status)
    cur = FilingStatus(filing.status)
    if getattr(user, "role", "") == "operator" and new != FilingStatus.SUBMITTED:
        raise PermissionDenied("机构经办人只能提交备案；受理、退回、备案、变更和注销由主管部门办理")
    if new not in FILING_TRANSITIONS[cur]:
        allowed = "、".join(FilingStatus(s).label for s in FilingStatus.values if s in FILING_TRANSITIONS[cur])
        raise Conflict({"status": [f"备案当前为“{cur.label}”，不能变更为“{new.label}”"
                                          + (f"（可办理：{allowed}）" if allowed else "（已注销，不能再办理）")]})
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if new == FilingStatus.RETURNED and not reason:
        errors["reason"] = ["退回补正须填写退回理由"]
    on = on or _today()
    if on > _today():
        errors["on"] = [f"日期（{on:%Y-%m-%d}）不能晚于今天"]
    last = filing.events.order_by("-on", "-id").values_list("on", flat=True).first()
    if last is not None and on < last:
        errors["on"] = [f"日期（{on:%Y-%m-%d}）不能早于上一环节的日期（{last:%Y-%m-%d}）"]
    if new == FilingStatus.SUBMITTED and not inst.uscc:
        errors["status"] = ["机构未登记统一社会信用代码（营业执照或法人登记证书），不能提交备案"]
    if new == FilingStatus.SUBMITTED:
        errors.setdefault("status", []).extend(refusals("new_filing", inst))
    _raise(errors)
    before = filing_snapshot(filing)
    filing.status = new
    if new == FilingStatus.SUBMITTED:
        filing.submitted_on = on
    elif new == FilingStatus.FILED:
        filing.filed_on = on
        filing.number = filing.number or filing_number(filing, on)
    elif new == FilingStatus.CANCELLED:
        filing.cancelled_on = on
    filing.save()
    FilingEvent.objects.create(filing=filing, status=new, on=on, reason=reason, by=user)
    ensure_in_scope(inst, user, "change")
    old, after = _diff(before, filing_snapshot(filing))
    record(user, "filing_transition", filing, before=old, after=after, reason=reason,
           detail={"institution_id": inst.pk, "on": on.isoformat()})
    return filing


@transaction.atomic
def submit_filing(user: Any, inst: Institution, on: dt.date | None = None, reason: str = "",
                  authority: str = "") -> Filing:
    """提交备案: the first submission creates the filing; after 退回补正 it is a resubmission."""
    current = _lock_for_change(user, inst.pk)
    filing = Filing.objects.select_for_update().filter(institution=current).first()
    if filing is not None:
        filing.institution = current
        return _transition(user, current, filing, FilingStatus.SUBMITTED, on, reason)
    on = on or _today()
    errors: dict[str, list[str]] = {}
    if on > _today():
        errors["on"] = [f"日期（{on:%Y-%m-%d}）不能晚于今天"]
    if not current.uscc:
        errors["status"] = ["机构未登记统一社会信用代码（营业执照或法人登记证书），不能提交备案"]
    # the shared credit check (a black-listed institution may not file anew); supervision answers it
    errors.setdefault("status", []).extend(refusals("new_filing", current))
    authority = (authority or "").strip() or default_authority(current)
    if len(authority) > (Filing._meta.get_field("authority").max_length or 60):
        errors["authority"] = ["备案机关名称过长"]
    _raise(errors)
    filing = Filing.objects.create(institution=current, status=FilingStatus.SUBMITTED, submitted_on=on,
                                   authority=authority)
    FilingEvent.objects.create(filing=filing, status=FilingStatus.SUBMITTED, on=on, reason=(reason or "").strip(),
                               by=user)
    ensure_in_scope(current, user, "change")
    record(user, "filing_submit", filing, after=filing_snapshot(filing), reason=reason,
           detail={"institution_id": current.pk})
    return filing


@transaction.atomic
def transition_filing(user: Any, filing: Filing, new_status: str, on: dt.date | None = None,
                      reason: str = "") -> Filing:
    """受理/退回补正/备案/变更备案/注销备案 along FILING_TRANSITIONS; each step a FilingEvent and an audit event."""
    current = _lock_for_change(user, filing.institution_id)
    locked = Filing.objects.select_for_update().filter(pk=filing.pk, institution=current).first()
    if locked is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    locked.institution = current
    return _transition(user, current, locked, new_status, on, reason)
