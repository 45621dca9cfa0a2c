"""What each importable resource looks like in Excel, its natural key, and its rules.

Institutions are keyed by 统一社会信用代码; elderly persons, infants and practitioners by the blind index of
the 身份证号 (security.md ID-9, REL-5 c). Rows are checked with the registry's own pieces (validators,
``IdentityMixin.set_id_number``, ``institutions.rules``), never through another app's services, and written
with bulk operations. Counts the rules depend on (beds, class places) include earlier rows of the same
file, so the file cannot overfill a class that the registry alone would not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Count

from ylyx.core import crypto, mask
from ylyx.institutions import rules
from ylyx.institutions.models import (
    SUBTYPES_BY_KIND,
    CapacityRecord,
    ChildcareClass,
    Institution,
    Kind,
    LegalForm,
    MedicalService,
    OperationMode,
    Subtype,
)
from ylyx.institutions.models import Status as InstitutionStatus
from ylyx.people.models import (
    BedType,
    Disability,
    EconomicStatus,
    ElderlyPerson,
    Enrolment,
    Infant,
    LivingSituation,
    Residence,
)
from ylyx.workforce.models import Practitioner, PractitionerRole

from . import bulk
from .columns import Column, echo
from .engine import Context, Row, Spec, Stale, WriteResult, chunks, pending, recheck_scope

SEX = (("M", "男"), ("F", "女"))
DOMAIN_LABEL = {"elder": "养老", "childcare": "托育"}


JSON_NATIVE = {str, int, bool, float, type(None)}


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


PERSON_MASKERS = {
    "name": mask.mask_name,
    "guardian_name": mask.mask_name,
    "phone": mask.mask_phone,
    "address": mask.mask_address,
    "id_number": mask.mask_id_number,
    "birth_date": lambda d: f"{d:%Y}-**-**",
}


def masked(values: dict[str, Any], maskers: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe audit dicts; personal fields masked, never a full ID number (security.md PI-5)."""
    out = {}
    for k, v in values.items():
        name = k[:-3] if k.endswith("_id") else k
        fn = maskers.get(name)
        if fn is not None and v:
            out[name] = fn(v)
        elif type(v) in JSON_NATIVE:
            out[name] = v
        else:
            out[name] = _json(v)
    return out


# The registry models an import creates and updates; each spec is checked against its own model.
RegistryModel = TypeVar("RegistryModel", Institution, ElderlyPerson, Infant, Practitioner)
PersonModel = TypeVar("PersonModel", ElderlyPerson, Infant, Practitioner)


class RegistrySpec(Spec, Generic[RegistryModel]):
    """Shared diffing and writing for records keyed by a natural key, with plain fields mapped 1:1."""

    model: type[RegistryModel]
    # column key -> model attribute; filled by subclasses
    fields: dict[str, str] = {}
    maskers: dict[str, Any] = {}

    def field_default(self, attname: str) -> Any:
        name = attname[:-3] if attname.endswith("_id") else attname
        field = self.model._meta.get_field(name)
        assert isinstance(field, models.Field)  # attnames in ``fields`` are concrete columns, never relations
        return field.get_default()

    def new_values(self, row: Row) -> dict[str, Any]:
        """Values of the columns present in the file; a blank cell resets the field to its default."""
        out = {}
        for key, attname in self.fields.items():
            if key in row.values:
                v = row.values[key]
                out[attname] = self.field_default(attname) if v is None else v
        return out

    def diff(self, row: Row, obj: Any, new: dict[str, Any], ctx: Context) -> None:
        """Existing record against the file's values; audit dicts are built only when committing."""
        row.pk = obj.pk
        row.region = new.get("region_id") or obj.region_id
        changed = {f: v for f, v in new.items() if getattr(obj, f) != v}
        if not changed:
            row.op = "unchanged"
            return
        row.op = "update"
        if ctx.commit:
            row.data = changed
            row.before = masked({f: getattr(obj, f) for f in changed}, self.maskers)
            row.after = masked(changed, self.maskers)

    def write_updates(self, rows: list[Row], ctx: Context, result: WriteResult) -> list[int]:
        """Only the changed fields of changed rows: one batched UPDATE per set of changed fields."""
        groups: dict[tuple[str, ...], list[Row]] = defaultdict(list)
        for r in rows:
            groups[tuple(sorted(r.data or {}))].append(r)
        pks: list[int] = []
        changed: tuple[str, ...]
        for changed, group in groups.items():
            bulk.update(self.model, [*changed, "updated_at"],
                        ((r.pk, {**(r.data or {}), "updated_at": ctx.now}) for r in group))  # type: ignore[misc]
            for r in group:
                pks.append(r.pk)  # type: ignore[arg-type]
                result.events.append(pending("update", self.model, r.pk, r, before=r.before,  # type: ignore[arg-type]
                                             after=r.after))
        result.updated += len(pks)
        return pks


# ---------------------------------------------------------------- institutions

def _institution_columns() -> list[Column]:
    return [
        Column("name", "机构名称", required=True, max_length=120, example="【示例】临河区示例养老院"),
        Column("uscc", "统一社会信用代码", "uscc", required=True, example="91350100M000100Y43",
               help="机构的唯一标识：已存在的代码更新该机构，新代码新增机构"),
        Column("kind", "类别", "choice", required=True, choices=tuple(Kind.choices), example=Kind.ELDER.label),
        Column("subtype", "类型", "choice", required=True, choices=tuple(Subtype.choices),
               example=Subtype.PUBLIC.label, help="须与类别相符"),
        Column("legal_form", "法人类型", "choice", choices=tuple(LegalForm.choices),
               example=LegalForm.NONPROFIT.label),
        Column("operation_mode", "运营方式", "choice", choices=tuple(OperationMode.choices),
               example=OperationMode.PUBLIC.label),
        Column("region", "行政区划代码", "region", required=True),
        Column("address", "地址", max_length=200, example="临河区新华街 1 号"),
        Column("lat", "纬度", "float", min_value=-90, max_value=90, example=40.75),
        Column("lon", "经度", "float", min_value=-180, max_value=180, example=107.39),
        Column("floor_area", "建筑面积（㎡）", "decimal", places=1, min_value=0, max_value=999999999, example=3200),
        Column("beds", "床位数", "int", min_value=0, max_value=100000, example=120),
        Column("nursing_beds", "护理型床位数", "int", min_value=0, max_value=100000, example=60,
               help="不能超过床位数"),
        Column("places", "托位数", "int", min_value=0, max_value=100000, example=0),
        Column("affordable_places", "普惠托位数", "int", min_value=0, max_value=100000, example=0,
               help="不能超过托位数"),
        Column("medical_service", "医疗服务", "choice", choices=tuple(MedicalService.choices),
               example=MedicalService.CONTRACTED.label),
        Column("monthly_fee_min", "月收费下限（元）", "decimal", places=2, min_value=0, max_value=9999999, example=1800),
        Column("monthly_fee_max", "月收费上限（元）", "decimal", places=2, min_value=0, max_value=9999999, example=4200),
        Column("status", "状态", "choice", choices=tuple(InstitutionStatus.choices),
               example=InstitutionStatus.OPERATING.label),
        Column("opened_on", "开业日期", "date", example=dt.date(2018, 6, 1)),
        Column("contact_phone", "联系电话", "phone", example="0478-8888888"),
    ]


CAPACITY_FIELDS = ("beds", "nursing_beds", "places", "affordable_places", "status")


class InstitutionSpec(RegistrySpec[Institution]):
    resource = "institution"
    label = "机构"
    model = Institution
    key_column = "uscc"
    notes = ["以统一社会信用代码识别机构：系统中已有的代码会更新该机构，没有的会新增。",
             "民政部门只能导入养老机构和社区养老服务设施，卫健部门只能导入托育机构。"]

    def __init__(self) -> None:
        self.columns = _institution_columns()
        self.fields = {c.key: ("region_id" if c.key == "region" else c.key)
                       for c in self.columns if c.key != "uscc"}

    def check(self, rows: list[Row], ctx: Context) -> None:
        key_h = self.header("uscc")
        for r in rows:
            code = r.values.get("uscc")
            if not code:
                continue
            first = ctx.seen.get(code)
            if first is not None:
                r.error(key_h, f"与第 {first} 行的统一社会信用代码重复")
                continue
            ctx.seen[code] = r.number
            r.key = code
        ctx.check_regions(rows, "region", self.header("region"))
        keys = [r.key for r in rows if r.key]
        existing = {o.uscc: o for o in Institution.objects.filter(uscc__in=keys)} if keys else {}
        for r in rows:
            obj = existing.get(r.key) if r.key else None
            self.check_kind(r, obj, ctx)
            if obj is not None and not ctx.in_scope(obj.region_id):
                r.error(key_h, "该统一社会信用代码对应的机构已登记在您管辖范围以外，不能通过导入修改")
            if not r.ok or not r.key:
                continue
            new = self.new_values(r)
            if "kind" in new:
                new["domain"] = "childcare" if new["kind"] == Kind.CHILDCARE else "elder"
            self.check_final(r, obj, new)
            if not r.ok:
                continue
            r.label = (new.get("name") or (obj.name if obj else ""))[:200]
            if obj is None:
                new["uscc"] = r.key
                r.op = "create"
                if ctx.commit:
                    r.data = new
                    r.after = masked(new, self.maskers)
            else:
                self.diff(r, obj, new, ctx)

    def check_kind(self, r: Row, obj: Institution | None, ctx: Context) -> None:
        kind = r.values.get("kind") or (obj.kind if obj else None)
        subtype = r.values.get("subtype") or (obj.subtype if obj else None)
        if kind and subtype and subtype not in SUBTYPES_BY_KIND[Kind(kind)]:
            allowed = "、".join(Subtype(s).label for s in SUBTYPES_BY_KIND[Kind(kind)])
            r.error(self.header("subtype"), f"“{Subtype(subtype).label}”不属于“{Kind(kind).label}”，可选：{allowed}")
        if ctx.domains is None:
            return
        for k in {kind, obj.kind if obj else None} - {None}:
            dom = "childcare" if k == Kind.CHILDCARE else "elder"
            if dom not in ctx.domains:
                allowed = "、".join(DOMAIN_LABEL[d] for d in sorted(ctx.domains))
                r.error(self.header("kind"), f"您的角色只能导入{allowed}领域的机构")
                return

    def check_final(self, r: Row, obj: Institution | None, new: dict[str, Any]) -> None:
        """The database's check constraints, as row errors instead of a failed transaction."""
        def final(f: str) -> Any:
            if f in new:
                return new[f]
            return getattr(obj, f) if obj is not None else self.field_default(f)

        for msg in rules.check_beds(final("beds"), final("nursing_beds")):
            r.error(self.header("nursing_beds"), msg)
        if final("affordable_places") > final("places"):
            r.error(self.header("affordable_places"),
                    f"普惠托位数（{final('affordable_places')}）不能超过托位数（{final('places')}）")
        lo, hi = final("monthly_fee_min"), final("monthly_fee_max")
        if lo is not None and hi is not None and lo > hi:
            r.error(self.header("monthly_fee_min"), f"月收费下限（{lo}）不能高于上限（{hi}）")

    def write(self, rows: list[Row], ctx: Context) -> WriteResult:
        result = WriteResult()
        creates = [r for r in rows if r.op == "create"]
        today = ctx.today
        created_pks = []
        for part in chunks(creates):
            objs = [Institution(**r.data) for r in part]  # type: ignore[arg-type]
            Institution.objects.bulk_create(objs)
            CapacityRecord.objects.bulk_create([
                CapacityRecord(institution_id=o.pk, region_id=o.region_id, valid_from=o.opened_on or today,
                               status=o.status, beds=o.beds, nursing_beds=o.nursing_beds, places=o.places,
                               affordable_places=o.affordable_places) for o in objs])
            for r, o in zip(part, objs, strict=True):
                r.pk = o.pk
                created_pks.append(o.pk)
                result.events.append(pending("create", Institution, o.pk, r, region=o.region_id, after=r.after))
        result.created = len(created_pks)
        updates = [r for r in rows if r.op == "update"]
        updated_pks = self.write_updates(updates, ctx, result)
        self.roll_capacity([r.pk for r in updates if set(r.data or {}) & set(CAPACITY_FIELDS)], today)  # type: ignore[misc]
        recheck_scope(Institution, ctx.user, created_pks + updated_pks)
        return result

    def roll_capacity(self, pks: list[int], today: dt.date) -> None:
        """Capacity history: close the open record and start a new one from today (indicators read by date)."""
        if not pks:
            return
        for part in chunks(pks):
            CapacityRecord.objects.filter(institution_id__in=part, valid_to__isnull=True,
                                          valid_from__gte=today).delete()
            CapacityRecord.objects.filter(institution_id__in=part, valid_to__isnull=True).update(valid_to=today)
            CapacityRecord.objects.bulk_create([
                CapacityRecord(institution_id=o.pk, region_id=o.region_id, valid_from=today, status=o.status,
                               beds=o.beds, nursing_beds=o.nursing_beds, places=o.places,
                               affordable_places=o.affordable_places)
                for o in Institution.objects.filter(pk__in=part)])


# ---------------------------------------------------------------- people and practitioners

def _person_columns(extra: list[Column]) -> list[Column]:
    return [
        Column("name", "姓名", required=True, max_length=50, example="【示例】王秀英"),
        Column("id_number", "身份证号", "id_number", required=True,
               help="18 位，末位可为 X；单元格须设置为文本格式，否则 Excel 会丢失后 3 位"),
        Column("sex", "性别", "choice", choices=SEX, help="留空时按身份证号第 17 位确定"),
        Column("phone", "联系电话", "phone", example="13800000000"),
        Column("region", "行政区划代码", "region", required=True),
        *extra,
    ]


class PersonSpec(RegistrySpec[PersonModel]):
    """Elderly persons, infants and practitioners: identity by blind index, masked audit, optional links."""

    key_column = "id_number"
    maskers = PERSON_MASKERS

    def __init__(self) -> None:
        self.columns = self.build_columns()
        skip = {"id_number", "sex", "phone", *self.link_keys()}
        self.fields = {c.key: ("region_id" if c.key == "region" else c.key)
                       for c in self.columns if c.key not in skip}

    def build_columns(self) -> list[Column]:
        raise NotImplementedError

    def link_keys(self) -> tuple[str, ...]:
        return ()

    # --- checking

    def check(self, rows: list[Row], ctx: Context) -> None:
        id_h = self.header("id_number")
        for r in rows:
            info = r.values.get("id_number")
            if info is None:
                continue
            key = crypto.blind_index(info.number)
            first = ctx.seen.get(key)
            if first is not None:
                r.error(id_h, f"与第 {first} 行的身份证号重复")
                continue
            ctx.seen[key] = r.number
            r.key = key
        ctx.check_regions(rows, "region", self.header("region"))
        self.check_references(rows, ctx)
        keys = [r.key for r in rows if r.key]
        existing = {o.id_bidx: o for o in self.model.objects.filter(id_bidx__in=keys)} if keys else {}
        self.prepare_links(rows, existing, ctx)
        for r in rows:
            if not r.key:
                continue
            obj = existing.get(r.key)
            if obj is not None and not ctx.in_scope(obj.region_id):
                r.error(id_h, "该身份证号对应的人员已登记在您管辖范围以外，不能通过导入修改")
                continue
            if r.ok:
                self.diff_person(r, obj, ctx)
            self.check_link(r, obj, ctx)

    def check_references(self, rows: list[Row], ctx: Context) -> None:
        """Resolve columns that point at other records (e.g. a practitioner's institution)."""

    def prepare_links(self, rows: list[Row], existing: dict[str, Any], ctx: Context) -> None:
        pass

    def check_link(self, r: Row, obj: Any, ctx: Context) -> None:
        pass

    def diff_person(self, r: Row, obj: Any, ctx: Context) -> None:
        info = r.values["id_number"]
        new = self.new_values(r)
        new["birth_date"] = info.birth_date
        if "sex" in r.values:
            given = r.values["sex"]
            new["sex"] = given or info.sex
            if given and given != info.sex:
                r.warnings.append((self.header("sex"), "性别与身份证号第 17 位不一致，已按填写的性别保存，请核对"))
        name = new.get("name") or (obj.name if obj is not None else "")
        r.label = mask.mask_name(name)
        phone = r.values.get("phone") or "" if "phone" in r.values else None
        if obj is None:
            r.op = "create"
            if ctx.commit:
                r.data = self.create_data(r, info, new, phone)
                shown = {**new, "id_number": info.number}
                if phone:
                    shown["phone"] = phone
                r.after = masked(shown, self.maskers)
            return
        self.diff(r, obj, new, ctx)
        if phone is not None and obj.phone != phone:
            # Compared decrypted; the stored ciphertext changes only when the number does.
            r.op = "update"
            if ctx.commit:
                r.before = {**(r.before or {}), "phone": mask.mask_phone(obj.phone)}
                r.after = {**(r.after or {}), "phone": mask.mask_phone(phone)}
                r.data = {**(r.data or {}), "phone_enc": crypto.encrypt_field(phone) if phone else ""}

    def create_data(self, r: Row, info: Any, new: dict[str, Any], phone: str | None) -> dict[str, Any]:
        """Identity fields as ``IdentityMixin.set_id_number``/``set_phone`` compute them (a test holds the two
        together), from what the row already has: the number was validated when the cell was parsed and its
        blind index is the row's key, so only the two encryptions are new work.
        """
        return {**new, "sex": new.get("sex") or info.sex, "birth_date": info.birth_date,
                "id_number_enc": crypto.encrypt_field(info.number), "id_bidx": r.key,
                "id_last4": info.number[-4:], "phone_enc": crypto.encrypt_field(phone) if phone else ""}

    # --- shared link helpers

    def institutions(self, ctx: Context, codes: set[str]) -> dict[str, Institution | None]:
        cache: dict[str, Institution | None] = ctx.cache.setdefault("institutions", {})
        missing = codes - cache.keys()
        if missing:
            found = {o.uscc: o for o in Institution.objects.filter(uscc__in=missing).only(
                "id", "uscc", "name", "kind", "region_id", "beds", "nursing_beds")}
            for code in missing:
                cache[code] = found.get(code)
        return cache

    def institution_for(self, r: Row, key: str, ctx: Context, kinds: set[str], wrong_kind: str) -> Institution | None:
        code = r.values.get(key)
        inst = ctx.cache["institutions"].get(code)
        h = self.header(key)
        if inst is None:
            r.error(h, "系统中没有该统一社会信用代码的机构")
        elif inst.kind not in kinds:
            r.error(h, wrong_kind)
        elif not ctx.in_scope(inst.region_id):
            r.error(h, "该机构超出您的管辖范围")
        else:
            return inst
        return None

    # --- writing

    link_model: Any = None
    link_person_field = ""

    def write(self, rows: list[Row], ctx: Context) -> WriteResult:
        result = WriteResult()
        # Updates (one statement per row) before the large inserts: when the commit runs inside an outer
        # transaction, its own is a savepoint, and SQLite charges each statement there for what it has written.
        updated_pks = self.write_updates([r for r in rows if r.op == "update"], ctx, result)
        creates = [r for r in rows if r.op == "create"]
        # Inserted in blind-index order: the two indexes on it then fill from left to right instead of at
        # random pages (on SQLite a third less time for the insert). Audit events keep the file's order.
        data = sorted((r.data for r in creates), key=lambda d: d["id_bidx"])  # type: ignore[index]
        new_pks = bulk.insert(self.model, data, key="id_bidx", now=ctx.now)  # type: ignore[arg-type]
        del data
        for r in creates:
            r.pk = new_pks[r.key]
            result.events.append(pending("create", self.model, r.pk, r, region=r.data["region_id"],  # type: ignore[index]
                                         after=r.after))
            r.data = None  # the ciphertexts are written; keep memory flat while the audit events are built
        result.created = len(creates)
        recheck_scope(self.model, ctx.user, list(new_pks.values()) + updated_pks)
        linked = [r for r in rows if r.link is not None]
        field = self.link_person_field
        link_pks = bulk.insert(self.link_model, [
            {field: r.pk, **{k: v for k, v in r.link.items() if not k.startswith("_")}}  # type: ignore[union-attr]
            for r in linked], key=field, now=ctx.now)
        for r in linked:
            link = r.link or {}
            result.events.append(pending("create", self.link_model, link_pks[r.pk], r, region=link["region_id"],
                                         after=link.get("_audit")))
        result.links = len(link_pks)
        if link_pks:
            recheck_scope(self.link_model, ctx.user, list(link_pks.values()))
        return result


def _elderly_extra() -> list[Column]:
    return [
        Column("address", "居住地址", max_length=200, example="临河区新华街 1 号"),
        Column("living_situation", "居住情况", "choice", choices=tuple(LivingSituation.choices),
               example=LivingSituation.ALONE.label),
        Column("economic_status", "经济状况", "choice", choices=tuple(EconomicStatus.choices),
               example=EconomicStatus.NORMAL.label),
        Column("special_family", "计划生育特殊家庭", "bool", example="否"),
        Column("disability", "残疾等级", "choice", choices=tuple(Disability.choices), example=Disability.NONE.label),
        Column("registered_on", "登记日期", "date", example=dt.date(2024, 1, 15)),
        Column("inst_uscc", "入住机构信用代码", "uscc",
               help="已入住养老机构时填写，须与入住日期一起填写；系统将办理入住"),
        Column("bed_type", "床位类型", "choice", choices=tuple(BedType.choices), help="留空为普通床位"),
        Column("admitted_on", "入住日期", "date"),
    ]


class ElderlySpec(PersonSpec[ElderlyPerson]):
    resource = "elderly"
    label = "老年人"
    model = ElderlyPerson
    link_model = Residence
    link_person_field = "person_id"
    notes = ["以身份证号识别老年人：系统中已有的人员会更新，没有的会新增。",
             "填写入住机构信用代码和入住日期时，系统按床位数和护理型床位数检查后办理入住（同一文件中前面的行也计入）。"]

    def build_columns(self) -> list[Column]:
        return _person_columns(_elderly_extra())

    def link_keys(self) -> tuple[str, ...]:
        return ("inst_uscc", "bed_type", "admitted_on")

    def prepare_links(self, rows: list[Row], existing: dict[str, Any], ctx: Context) -> None:
        codes = {r.values["inst_uscc"] for r in rows if r.values.get("inst_uscc")}
        insts = self.institutions(ctx, codes)
        pks = [o.pk for o in existing.values()]
        active: dict[int, list[dict]] = defaultdict(list)
        for res in Residence.objects.filter(person_id__in=pks, ended_on__isnull=True).values(
                "person_id", "institution_id", "bed_type", "started_on"):
            active[res["person_id"]].append(res)
        ctx.cache["active"] = active
        counts = ctx.cache.setdefault("residents", {})
        snapshot = ctx.cache.setdefault("residents_db", {})
        ids = {i.pk for i in insts.values() if i is not None} - counts.keys()
        if ids:
            db = residence_counts(ids)
            for i in ids:
                snapshot[i] = tuple(db.get(i, (0, 0)))
                counts[i] = list(snapshot[i])

    def check_link(self, r: Row, obj: Any, ctx: Context) -> None:
        if not self.require_group(r, ("inst_uscc", "admitted_on"), "填写入住信息时，入住机构信用代码和入住日期都必须填写"):
            return
        inst = self.institution_for(r, "inst_uscc", ctx, {Kind.ELDER, Kind.COMMUNITY},
                                    "该机构是托育机构，不能办理老年人入住")
        if inst is None:
            return
        h = self.header("inst_uscc")
        on = r.values["admitted_on"]
        bed_type = r.values.get("bed_type") or BedType.ORDINARY
        active = ctx.cache["active"].get(obj.pk, []) if obj is not None else []
        same = [a for a in active if a["institution_id"] == inst.pk]
        if same:
            if same[0]["bed_type"] != bed_type or same[0]["started_on"] != on:
                r.error(h, "该老年人已在该机构入住，但床位类型或入住日期与系统不一致；修改入住信息请在系统中办理")
            return
        count = ctx.cache["residents"][inst.pk]
        nursing = bed_type == BedType.NURSING
        for msg in rules.check_admission(
                died_on=getattr(obj, "died_on", None), moved_out_on=getattr(obj, "moved_out_on", None), on=on,
                beds=inst.beds, residents=count[0], nursing=nursing, nursing_beds=inst.nursing_beds,
                nursing_residents=count[1], already_resident=bool(active)):
            r.error(h, msg)
        if r.ok:
            count[0] += 1
            count[1] += int(nursing)
            r.link = {"institution_id": inst.pk, "region_id": inst.region_id, "bed_type": bed_type,
                      "started_on": on,
                      "_audit": {"institution": inst.name, "bed_type": bed_type, "started_on": on.isoformat()}}

    def lock_and_verify(self, ctx: Context) -> None:
        snapshot = ctx.cache.get("residents_db", {})
        if not snapshot:
            return
        ids = sorted(snapshot)
        list(Institution.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        now = residence_counts(set(ids))
        for i in ids:
            if tuple(now.get(i, (0, 0))) != snapshot[i]:
                raise Stale("机构在住人数在导入过程中发生了变化")


def residence_counts(ids: set[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for part in chunks(sorted(ids)):
        for row in (Residence.objects.filter(institution_id__in=part, ended_on__isnull=True)
                    .values("institution_id", "bed_type").annotate(n=Count("id"))):
            c = out.setdefault(row["institution_id"], [0, 0])
            c[0] += row["n"]
            if row["bed_type"] == BedType.NURSING:
                c[1] += row["n"]
    return out


def _infant_extra() -> list[Column]:
    return [
        Column("address", "居住地址", max_length=200, example="临河区新华街 1 号"),
        Column("guardian_name", "监护人姓名", required=True, max_length=50, example="王强"),
        Column("guardian_relation", "与婴幼儿关系", max_length=10, example="父亲"),
        Column("inst_uscc", "托育机构统一社会信用代码", "uscc",
               help="已入托时填写，须与班级名称、入托日期一起填写；系统将办理入托"),
        Column("class_name", "班级名称", max_length=50),
        Column("enrolled_on", "入托日期", "date"),
    ]


class InfantSpec(PersonSpec[Infant]):
    resource = "infant"
    label = "婴幼儿"
    model = Infant
    link_model = Enrolment
    link_person_field = "infant_id"
    notes = ["以身份证号识别婴幼儿：系统中已有的会更新，没有的会新增。婴幼儿信息属于敏感个人信息，请妥善保管本文件。",
             "填写托育机构、班级和入托日期时，系统按班级托位、月龄和保育人员配比检查后办理入托（同一文件中前面的行也计入）。"]

    def build_columns(self) -> list[Column]:
        cols = _person_columns(_infant_extra())
        cols[0] = Column("name", "姓名", required=True, max_length=50, example="【示例】李小明")
        return cols

    def link_keys(self) -> tuple[str, ...]:
        return ("inst_uscc", "class_name", "enrolled_on")

    def prepare_links(self, rows: list[Row], existing: dict[str, Any], ctx: Context) -> None:
        codes = {r.values["inst_uscc"] for r in rows if r.values.get("inst_uscc")}
        insts = self.institutions(ctx, codes)
        classes: dict[int, dict[str, ChildcareClass]] = ctx.cache.setdefault("classes", {})
        new_ids = {i.pk for i in insts.values() if i is not None} - classes.keys()
        for i in new_ids:
            classes[i] = {}
        if new_ids:
            for c in ChildcareClass.objects.filter(institution_id__in=new_ids):
                classes[c.institution_id][c.name] = c
        counts = ctx.cache.setdefault("enrolled", {})
        snapshot = ctx.cache.setdefault("enrolled_db", {})
        class_ids = {c.pk for i in new_ids for c in classes[i].values()} - counts.keys()
        if class_ids:
            db = enrolment_counts(class_ids)
            for cid in class_ids:
                snapshot[cid] = db.get(cid, 0)
                counts[cid] = snapshot[cid]
        pks = [o.pk for o in existing.values()]
        active: dict[int, list[dict]] = defaultdict(list)
        for e in Enrolment.objects.filter(infant_id__in=pks, ended_on__isnull=True).values(
                "infant_id", "childcare_class_id", "started_on"):
            active[e["infant_id"]].append(e)
        ctx.cache["active"] = active

    def check_link(self, r: Row, obj: Any, ctx: Context) -> None:
        if not self.require_group(r, ("inst_uscc", "class_name", "enrolled_on"),
                                  "填写入托信息时，托育机构统一社会信用代码、班级名称和入托日期都必须填写"):
            return
        inst = self.institution_for(r, "inst_uscc", ctx, {Kind.CHILDCARE}, "该机构不是托育机构，不能办理入托")
        if inst is None:
            return
        h = self.header("class_name")
        name = r.values["class_name"]
        cls = ctx.cache["classes"].get(inst.pk, {}).get(name)
        if cls is None:
            r.error(h, f"该托育机构没有名为“{echo(name)}”的班级")
            return
        on = r.values["enrolled_on"]
        active = ctx.cache["active"].get(obj.pk, []) if obj is not None else []
        same = [a for a in active if a["childcare_class_id"] == cls.pk]
        if same:
            if same[0]["started_on"] != on:
                r.error(self.header("enrolled_on"), "该婴幼儿已在该班级入托，但入托日期与系统不一致；修改入托信息请在系统中办理")
            return
        if active:
            r.error(h, "该婴幼儿已在其他班级入托，请先办理离托")
            return
        info = r.values.get("id_number")
        if info is None:
            return
        enrolled = ctx.cache["enrolled"][cls.pk]
        for msg in rules.check_enrolment(rules.EnrolmentCheck(
                birth_date=info.birth_date, on=on, class_type=cls.class_type, class_places=cls.places,
                enrolled=enrolled, caregivers=cls.caregivers)):
            r.error(h, msg)
        if r.ok:
            ctx.cache["enrolled"][cls.pk] = enrolled + 1
            r.link = {"institution_id": inst.pk, "childcare_class_id": cls.pk, "region_id": inst.region_id,
                      "started_on": on,
                      "_audit": {"institution": inst.name, "class": cls.name, "started_on": on.isoformat()}}

    def lock_and_verify(self, ctx: Context) -> None:
        snapshot = ctx.cache.get("enrolled_db", {})
        if not snapshot:
            return
        ids = sorted(snapshot)
        list(ChildcareClass.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        now = enrolment_counts(set(ids))
        for cid in ids:
            if now.get(cid, 0) != snapshot[cid]:
                raise Stale("班级在托人数在导入过程中发生了变化")


def enrolment_counts(class_ids: set[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for part in chunks(sorted(class_ids)):
        for row in (Enrolment.objects.filter(childcare_class_id__in=part, ended_on__isnull=True)
                    .values("childcare_class_id").annotate(n=Count("id"))):
            out[row["childcare_class_id"]] = row["n"]
    return out


class PractitionerSpec(PersonSpec[Practitioner]):
    resource = "practitioner"
    label = "从业人员"
    model = Practitioner
    notes = ["以身份证号识别从业人员：系统中已有的会更新，没有的会新增。",
             "现任机构须在您的管辖范围内；该列留空表示目前不在任何机构任职。"]

    def build_columns(self) -> list[Column]:
        return _person_columns([
            Column("role", "岗位", "choice", required=True, choices=tuple(PractitionerRole.choices),
                   example=PractitionerRole.ELDER_CAREGIVER.label),
            Column("education", "学历", max_length=20, example="高中"),
            Column("institution", "现任机构统一社会信用代码", "uscc"),
        ])

    def __init__(self) -> None:
        super().__init__()
        self.fields["institution"] = "institution_id"

    def check_references(self, rows: list[Row], ctx: Context) -> None:
        codes = {r.values["institution"] for r in rows if r.values.get("institution")}
        self.institutions(ctx, codes)
        h = self.header("institution")
        for r in rows:
            code = r.values.get("institution")
            if not code:
                continue
            inst = ctx.cache["institutions"].get(code)
            if inst is None:
                r.error(h, "系统中没有该统一社会信用代码的机构")
            elif not ctx.in_scope(inst.region_id):
                r.error(h, "该机构超出您的管辖范围")
            else:
                r.values["institution"] = inst.pk


SPECS: dict[str, Spec] = {s.resource: s for s in (InstitutionSpec(), ElderlySpec(), InfantSpec(), PractitionerSpec())}
