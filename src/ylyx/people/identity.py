"""Shared steps for every record that carries a 身份证号 (老年人, 婴幼儿, 从业人员).

Services of people and workforce use these so the ID rules, the duplicate check through the blind
index, the region-scope check, the masked audit snapshot and the "show full" (PI-5) path are one code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date

from ylyx.audit.services import record, record_security_event
from ylyx.core import crypto, mask
from ylyx.core.scoping import ensure_in_scope
from ylyx.core.validators import validate_id_number, validate_phone
from ylyx.regions.models import Region

SEX_MISMATCH = "性别与身份证号第 17 位不一致，已按填写的性别保存，请核对"
DUPLICATE_ID = "该身份证号已登记"
REASON_REQUIRED = "请填写查看理由"


class Errors:
    """Collects every field error first, so the user sees all of them at once, then raises one ValidationError."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def today() -> dt.date:
    return timezone.localdate()


def age_years(birth: dt.date | None, on: dt.date | None = None) -> int | None:
    if birth is None:
        return None
    on = on or today()
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_months(birth: dt.date | None, on: dt.date | None = None) -> int | None:
    if birth is None:
        return None
    on = on or today()
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    return months - 1 if on.day < birth.day else months


def years_before(on: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 Feb falls back to 28 Feb)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def months_before(on: dt.date, months: int) -> dt.date:
    y, m = divmod(on.year * 12 + on.month - 1 - months, 12)
    day = min(on.day, [31, 29 if (y % 4 == 0 and (y % 100 or y % 400 == 0)) else 28, 31, 30, 31, 30,
                        31, 31, 30, 31, 30, 31][m])
    return dt.date(y, m + 1, day)


def as_date(value: Any, field: str, label: str, errors: Errors, *, required: bool = False) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors.add(field, f"{label}不能为空")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parsed = None
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        errors.add(field, f"{label}格式错误，应为 YYYY-MM-DD 且为真实日期")
    return parsed


def not_future(value: dt.date | None, field: str, label: str, errors: Errors) -> None:
    if value is not None and value > today():
        errors.add(field, f"{label}不能晚于今天")


def sex_of_id(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


def clean_text(data: dict, field: str, label: str, errors: Errors, max_length: int,
               required: bool = False) -> str | None:
    """Returns the stripped text, or None when the field is absent (and not required)."""
    if field not in data and not required:
        return None
    value = str(data.get(field) or "").strip()
    if required and not value:
        errors.add(field, f"{label}不能为空")
        return None
    if len(value) > max_length:
        errors.add(field, f"{label}不能超过 {max_length} 个字")
        return None
    return value


def apply_choice(obj: Any, data: dict, field: str, errors: Errors) -> None:
    if field not in data:
        return
    model_field = obj._meta.get_field(field)
    value = data.get(field)
    value = model_field.get_default() if value in (None, "") else str(value)
    if value not in dict(model_field.choices):
        errors.add(field, f"{model_field.verbose_name}取值无效：{value}")
        return
    setattr(obj, field, value)


def apply_identity(obj: Any, data: dict, errors: Errors, *, creating: bool) -> list[str]:
    """Name, sex, 身份证号 and phone: validated, ID encrypted with its blind index, duplicate refused.

    A sex that disagrees with the ID's 17th digit is kept and returned as a warning (security.md ID-4).
    """
    warnings: list[str] = []
    name = clean_text(data, "name", "姓名", errors, 50, required=creating)
    if name is not None:
        if name:
            obj.name = name
        else:
            errors.add("name", "姓名不能为空")
    if "sex" in data:
        sex = str(data.get("sex") or "")
        if sex not in ("", "M", "F"):
            errors.add("sex", "性别只能是“男”或“女”")
        else:
            obj.sex = sex
    raw_id = str(data.get("id_number") or "").strip()
    if raw_id:
        try:
            info = validate_id_number(raw_id)
        except ValidationError as e:
            errors.add("id_number", e.messages[0])
        else:
            others = type(obj)._default_manager.filter(id_bidx=crypto.blind_index(info.number))
            if obj.pk:
                others = others.exclude(pk=obj.pk)
            if others.exists():
                errors.add("id_number", DUPLICATE_ID)
            else:
                warnings += obj.set_id_number(info.number)
    elif creating:
        errors.add("id_number", "身份证号不能为空")
    elif "sex" in data and obj.id_number_enc:
        from_id = sex_of_id(obj.id_number)
        if not obj.sex:
            obj.sex = from_id
        elif obj.sex != from_id:
            warnings.append(SEX_MISMATCH)
    if data.get("phone"):
        try:
            validate_phone(str(data["phone"]))
            obj.set_phone(str(data["phone"]))
        except ValidationError as e:
            errors.add("phone", e.messages[0])
    elif data.get("clear_phone"):
        obj.phone_enc = ""
    return warnings


def scoped_region(user: Any, value: Any, errors: Errors, field: str = "region") -> Region | None:
    """The region a record is filed under must lie in the user's own region subtree."""
    if value in (None, ""):
        errors.add(field, "请选择所属区划")
        return None
    region = value if isinstance(value, Region) else Region.objects.filter(code=str(value).strip()).first()
    if region is None:
        errors.add(field, f"区划代码不存在：{str(value)[:12]}")
        return None
    prefix = getattr(user, "region_prefix", "")
    if not prefix or not region.code.startswith(prefix):
        errors.add(field, "所选区划不在您的管辖范围内")
        return None
    if region.level < 3:
        errors.add(field, "请选择旗县区及以下的区划")
        return None
    return region


def save_unique(obj: Any) -> None:
    """Save; a concurrent insert of the same ID (unique blind index) becomes the duplicate message."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        if obj.id_bidx and type(obj)._default_manager.filter(id_bidx=obj.id_bidx).exclude(pk=obj.pk).exists():
            raise ValidationError({"id_number": [DUPLICATE_ID]}) from None
        raise


def lock_scoped(model: Any, user: Any, action: str, pk: Any) -> Any:
    """Re-read the row through the user's scope, locked for the rest of the transaction."""
    obj = model.objects.for_user(user, action).select_for_update(of=("self",)).filter(pk=pk).first()
    if obj is None:
        raise PermissionDenied("超出您的管辖范围或权限，操作未保存")
    return obj


def snapshot(obj: Any, fields: tuple[str, ...] = ()) -> dict:
    """JSON-safe, masked view of a person record for the audit trail (never a full ID or phone)."""
    data: dict[str, Any] = {
        "name": obj.name_masked,
        "id_number": obj.id_number_masked,
        "phone": obj.phone_masked,
        "sex": obj.sex,
        "region": obj.region_id,
    }
    for f in fields:
        value = getattr(obj, f)
        if f == "address":
            value = mask.mask_address(value)
        elif f.endswith("name") and f != "name":
            value = mask.mask_name(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        data[f] = value
    return data


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


Apply = Callable[[Any, Any, dict, bool], list[str]]


def create_person(user: Any, model: Any, data: dict, apply: Apply, fields: tuple[str, ...],
                  reason: str) -> tuple[Any, list[str]]:
    """The create path every ID-carrying register shares: apply, save, re-check scope, audit."""
    with transaction.atomic():
        obj = model()
        warnings = apply(user, obj, data, True)
        save_unique(obj)
        ensure_in_scope(obj, user, "change")
        record(user, "create", obj, after=snapshot(obj, fields), reason=clean_reason(reason),
               detail={"warnings": warnings} if warnings else None)
    return obj, warnings


def update_person(user: Any, model: Any, pk: Any, data: dict, apply: Apply, fields: tuple[str, ...],
                  reason: str) -> tuple[Any, list[str]]:
    """The update path: lock through the scope, apply, save, re-check, audit only what changed."""
    with transaction.atomic():
        obj = lock_scoped(model, user, "change", pk)
        before = snapshot(obj, fields)
        warnings = apply(user, obj, data, False)
        save_unique(obj)
        ensure_in_scope(obj, user, "change")
        b, a = changed(before, snapshot(obj, fields))
        record(user, "update", obj, before=b, after=a, reason=clean_reason(reason),
               detail={"warnings": warnings} if warnings else None)
    return obj, warnings


def clean_reason(reason: str) -> str:
    return (reason or "").strip()[:500]


# --- "show full" (security.md PI-5) -------------------------------------------------------------

REVEALABLE = {"id_number": "身份证号", "phone": "电话", "name": "姓名", "address": "居住地址",
              "guardian_name": "监护人姓名"}


_revealable: dict[str, tuple[Any, tuple[str, ...]]] = {}


def register_revealable(key: str, model: Any, fields: tuple[str, ...]) -> None:
    """Registers of people (ours, and workforce's practitioners) offer "show full" from their AppConfig.ready."""
    _revealable[key] = (model, fields)


def reveal_models() -> dict[str, tuple[Any, tuple[str, ...]]]:
    return dict(_revealable)


def reveal(user: Any, model_key: str, pk: Any, field: str, reason: str) -> str:
    """One unmasked value for a permitted user with a stated reason, logged as ``view_full_pi``.

    Order matters: no permission is a 403 whatever the object; then another county's (or a missing)
    object is a 404; only then is the reason checked.
    """
    models = reveal_models()
    denied = {"model": str(model_key)[:20], "pk": str(pk)[:20], "field": str(field)[:30]}
    if model_key not in models:
        raise Http404
    model, fields = models[model_key]
    if not getattr(user, "can_view_full_pi", False):
        record_security_event(user, "view_full_pi", "denied", detail={**denied, "why": "no_permission"})
        raise PermissionDenied("您没有查看完整个人信息的权限")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    obj = model.objects.for_user(user, "view").filter(pk=pk).first()
    if obj is None:
        record_security_event(user, "view_full_pi", "denied", detail={**denied, "why": "not_found"})
        raise Http404
    field = field or "id_number"
    if field not in fields:
        raise ValidationError({"field": [f"不支持查看该字段：{field[:30]}"]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [REASON_REQUIRED]})
    if len(reason) > 200:
        raise ValidationError({"reason": ["查看理由不能超过 200 个字"]})
    value = getattr(obj, field) or ""
    with transaction.atomic():
        record(user, "view_full_pi", obj, reason=reason, detail={"field": field, "label": REVEALABLE[field]})
    return value
