"""Operations that change plans, milestones and reported values; each one transaction, audited.

``load_seed_plans`` is idempotent: running it again leaves the same rows (the seed plans' values are
exactly the YAML's). The reported-value workflow is draft → submitted → approved → published, with
return-with-comment from submitted or approved; approving needs the "approve" action on
reported_value, and the approver may not be the person who entered the value.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core.errors import Conflict
from ylyx.core.permissions import allows
from ylyx.core.scoping import ensure_in_scope
from ylyx.regions.models import Region, normalise_code

from . import formulas as F
from .models import IndicatorDefinition, Milestone, Plan, PlanIndicator, ReportedStatus, ReportedValue

PLANS_DIR = Path(__file__).resolve().parent / "data" / "plans"
HEADER = re.compile(r"^#\s*(\S+?)\s*\((\d{6})\)")

PLAN_FIELDS = ("title", "issuer", "doc_number", "issued_on", "region_code", "region_name", "owner_region_code",
               "period_start", "period_end", "baseline_year", "source_file", "is_seed", "facts")
ROW_FIELDS = ("position", "key", "name", "unit", "baseline_text", "baseline_value", "target_text", "target_value",
              "comparator", "target_year", "property", "departments", "source", "quote", "catalogue",
              "definition_id", "intensive")


# ---------------------------------------------------------------------------------------------------
# catalogue and seed plans


def sync_catalogue() -> dict[str, IndicatorDefinition]:
    """The built-in computed definitions as rows, so plan rows can point at them."""
    out = {}
    for d in F.CATALOGUE.values():
        fields = {"name": d.name, "unit": d.unit, "kind": IndicatorDefinition.Kind.COMPUTED, "formula": d.formula,
                  "numerator": d.numerator, "denominator": d.denominator or "", "factor": float(d.factor)}
        obj = IndicatorDefinition.objects.filter(code=d.code).first()
        if obj is None:
            obj = IndicatorDefinition.objects.create(code=d.code, **fields)
        elif any(getattr(obj, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(obj, k, v)
            obj.save()
        out[d.code] = obj
    return out


def row_keys(rows: list[dict]) -> list[str]:
    """Seq when it is unique in the plan, otherwise "类别-序号" for every row (雅安 numbers per category)."""
    seqs = Counter(str(r["seq"]) for r in rows)
    if all(n == 1 for n in seqs.values()):
        return [str(r["seq"]) for r in rows]
    return [f"{r.get('category') or ''}-{r['seq']}" for r in rows]


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def read_plan_file(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    m = HEADER.match(text)
    data["_region_name"] = m.group(1) if m else ""
    return data


def plan_fields(data: dict) -> dict:
    code = normalise_code(str(data["region_code"]))
    region = Region.objects.filter(code=code).first()
    issued = data.get("issued_on")
    if isinstance(issued, str):
        issued = dt.date.fromisoformat(issued)
    return {"title": data["title"], "issuer": data.get("issuer") or "", "doc_number": data.get("doc_number") or "",
            "issued_on": issued, "region_code": code, "region_name": region.name if region else data["_region_name"],
            "owner_region_code": code, "period_start": data.get("period_start"), "period_end": data.get("period_end"),
            "baseline_year": data.get("baseline_year"), "source_file": data.get("source_file") or "",
            "is_seed": True, "facts": data.get("facts") or []}


def indicator_fields(rows: list[dict], defs: dict[str, IndicatorDefinition]) -> list[dict]:
    out = []
    for pos, (r, key) in enumerate(zip(rows, row_keys(rows), strict=True), start=1):
        cat = r.get("catalogue") or ""
        d = defs.get(cat)
        intensive = F.CATALOGUE[cat].intensive if cat in F.CATALOGUE else F.looks_intensive(r["name"], r.get("unit"))
        out.append({"category": r.get("category") or "", "seq": str(r["seq"]), "position": pos, "key": key,
                    "name": r["name"], "unit": r.get("unit") or "", "baseline_text": _text(r.get("baseline_text")),
                    "baseline_value": _num(r.get("baseline_value")), "target_text": _text(r.get("target_text")),
                    "target_value": _num(r.get("target_value")), "comparator": r.get("comparator"),
                    "target_year": r.get("target_year"), "property": r.get("property") or "",
                    "departments": list(r.get("departments") or []), "source": r.get("source") or "table",
                    "quote": r.get("quote"), "catalogue": cat, "definition_id": d.pk if d else None,
                    "intensive": intensive})
    return out


def refresh_default_milestones(pi: PlanIndicator, baseline_year: int | None) -> None:
    """Linear milestones for the years not edited by hand; edited ones are kept."""
    path = dict(F.default_milestones(baseline_year, pi.baseline_value, pi.effective_target_year, pi.target_value))
    existing = {m.year: m for m in pi.milestones.all()}
    if not path and not existing:
        return
    for year, m in existing.items():
        if not m.edited and year not in path:
            m.delete()
    for year, value in path.items():
        current = existing.get(year)
        if current is None:
            Milestone.objects.create(indicator=pi, year=year, value=value)
        elif not current.edited and current.value != value:
            current.value = value
            current.save(update_fields=["value"])


@transaction.atomic
def load_plan(data: dict, defs: dict[str, IndicatorDefinition]) -> tuple[Plan, str]:
    """Create or bring one seed plan to exactly its file's content; returns (plan, created|updated|unchanged)."""
    fields = plan_fields(data)
    plan = Plan.objects.filter(code=data["code"]).first()
    outcome = "unchanged"
    if plan is None:
        plan = Plan.objects.create(code=data["code"], **fields)
        outcome = "created"
    elif any(getattr(plan, k) != v for k, v in fields.items()):
        for k, v in fields.items():
            setattr(plan, k, v)
        plan.save()
        outcome = "updated"
    wanted = indicator_fields(data.get("indicators") or [], defs)
    have = {(pi.category, pi.seq): pi for pi in plan.indicators.prefetch_related("milestones")}
    keep = {(w["category"], w["seq"]) for w in wanted}
    for k, pi in have.items():
        if k not in keep:
            pi.delete()
            outcome = "updated"
    # keys may move between rows: park the changed ones first so the unique constraint holds mid-update
    want_key = {(w["category"], w["seq"]): w["key"] for w in wanted}
    for k, pi in have.items():
        if k in keep and pi.key != want_key[k]:
            pi.key = f"~{pi.pk}"
            pi.save(update_fields=["key"])
    new_rows: list[PlanIndicator] = []
    for w in wanted:
        found = have.get((w["category"], w["seq"]))
        if found is None:
            new_rows.append(PlanIndicator(plan=plan, **w))
            continue
        pi = found
        if any(getattr(pi, k) != w[k] for k in ROW_FIELDS):
            for k in ROW_FIELDS:
                setattr(pi, k, w[k])
            pi.save()
            outcome = "updated" if outcome == "unchanged" else outcome
        refresh_default_milestones(pi, plan.baseline_year)
    if new_rows:
        outcome = "updated" if outcome == "unchanged" else outcome
        PlanIndicator.objects.bulk_create(new_rows)
        Milestone.objects.bulk_create([
            Milestone(indicator=pi, year=y, value=v) for pi in new_rows
            for y, v in F.default_milestones(plan.baseline_year, pi.baseline_value,
                                             pi.target_year or plan.period_end, pi.target_value)])
    return plan, outcome


def load_seed_plans(directory: Path | None = None) -> dict[str, str]:
    """Every ``*.yaml`` under the plans directory, idempotently; {plan code: outcome}."""
    directory = directory or PLANS_DIR
    with transaction.atomic():
        defs = sync_catalogue()
        out = {}
        for path in sorted(directory.glob("*.yaml")):
            data = read_plan_file(path)
            plan, outcome = load_plan(data, defs)
            out[plan.code] = outcome
    return out


# ---------------------------------------------------------------------------------------------------
# plans: copy, targets, milestones


def _plan_snapshot(plan: Plan) -> dict:
    return {"code": plan.code, "title": plan.title, "region_code": plan.region_code}


def _row_snapshot(pi: PlanIndicator) -> dict:
    return {k: getattr(pi, k) for k in ("baseline_text", "baseline_value", "target_text", "target_value",
                                        "comparator", "target_year", "property")}


def _unique_code(base: str) -> str:
    code, n = base[:60], 2
    while Plan.objects.filter(code=code).exists():
        code = f"{base[:55]}-{n}"
        n += 1
    return code


def copy_plan(plan: Plan, user: Any, region: Region | None = None) -> Plan:
    """A copy of ``plan`` for the user's region (or a region in their scope), with its rows and milestones."""
    if not allows(user.role, "indicator", "add"):
        raise PermissionDenied("您的角色不能复制规划")
    region = region or user.region
    if region is None:
        raise ValidationError({"region": "请选择规划所属区划"})
    if not (region.code.startswith(plan.region_prefix) or plan.region_code.startswith(region.prefix)):
        raise ValidationError({"region": f"区划“{region.name}”不在规划“{plan.title}”的范围内，不能复制"})
    with transaction.atomic():
        new = Plan.objects.create(
            code=_unique_code(f"{plan.code}-{region.code.rstrip('0')}"), title=plan.title, issuer="", doc_number="",
            issued_on=None, region_code=region.code, region_name=region.name, owner_region_code=region.code,
            period_start=plan.period_start, period_end=plan.period_end, baseline_year=plan.baseline_year,
            source_file=plan.source_file, is_seed=False, copied_from=plan, facts=[], created_by=user)
        for pi in plan.indicators.prefetch_related("milestones").order_by("position", "id"):
            ms = list(pi.milestones.all())
            pi.pk = None
            pi.id = None
            pi.plan = new
            pi._state.adding = True
            pi.save()
            Milestone.objects.bulk_create([Milestone(indicator=pi, year=m.year, value=m.value, edited=m.edited)
                                           for m in ms])
        ensure_in_scope(new, user, "change")
        record(user, "create", new, after=_plan_snapshot(new), reason=f"复制自规划 {plan.code}",
               detail={"copied_from": plan.pk})
    return new


TARGET_FIELDS = ("baseline_text", "baseline_value", "target_text", "target_value", "comparator", "target_year",
                 "property")


def update_targets(pi: PlanIndicator, user: Any, data: dict, reason: str = "") -> PlanIndicator:
    """Change a row's baseline/target of a plan the user may change; seed plans keep the document's values."""
    if pi.plan.is_seed:
        raise ValidationError("原文规划的基期值和目标值以印发文件为准，不能修改；请先复制规划到本区划再调整")
    if data.get("comparator") and data["comparator"] not in F.COMPARATORS:
        raise ValidationError({"comparator": "比较方式应为 ≥、>、≤、< 或 ="})
    with transaction.atomic():
        pi = PlanIndicator.objects.select_for_update().get(pk=pi.pk)
        before = _row_snapshot(pi)
        for k in TARGET_FIELDS:
            if k in data:
                setattr(pi, k, data[k])
        pi.save()
        refresh_default_milestones(pi, pi.plan.baseline_year)
        ensure_in_scope(pi.plan, user, "change")
        record(user, "update", pi.plan, before=before, after=_row_snapshot(pi), reason=reason,
               detail={"indicator": pi.key})
    return pi


def set_milestones(pi: PlanIndicator, user: Any, values: dict[int, float | None], reason: str = "") -> None:
    """Hand-set year values (None restores the default straight line for that year)."""
    with transaction.atomic():
        before = {m.year: m.value for m in pi.milestones.all()}
        for year, value in values.items():
            if value is None:
                Milestone.objects.filter(indicator=pi, year=year).update(edited=False)
            else:
                Milestone.objects.update_or_create(indicator=pi, year=year,
                                                   defaults={"value": float(value), "edited": True})
        refresh_default_milestones(pi, pi.plan.baseline_year)
        ensure_in_scope(pi.plan, user, "change")
        after = {m.year: m.value for m in pi.milestones.all()}
        record(user, "update", pi.plan, before={"milestones": before}, after={"milestones": after},
               reason=reason, detail={"indicator": pi.key})


# ---------------------------------------------------------------------------------------------------
# reported values


def _rv_snapshot(rv: ReportedValue) -> dict:
    return {"indicator": rv.plan_indicator_id or f"def:{rv.definition_id}", "region": rv.region_id,
            "year": rv.year, "value": rv.value, "department": rv.department, "status": rv.status,
            "comment": rv.comment}


def _check_year(year: Any) -> int:
    try:
        y = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": "年份应为四位数字"}) from None
    if not 2000 <= y <= timezone.localdate().year:
        raise ValidationError({"year": f"年份应在 2000 至 {timezone.localdate().year} 之间"})
    return y


def _check_target(plan_indicator: PlanIndicator | None, definition: IndicatorDefinition | None,
                  region: Region) -> None:
    if (plan_indicator is None) == (definition is None):
        raise ValidationError({"plan_indicator": "请选择一个规划指标（或一个指标口径）"})
    if plan_indicator is not None:
        if plan_indicator.is_computed:
            raise ValidationError({"plan_indicator": f"“{plan_indicator.name}”由系统根据登记数据计算，无需填报"})
        if not region.code.startswith(plan_indicator.plan.region_prefix):
            raise ValidationError({"region": f"区划“{region.name}”不在该规划的范围内"})
    if definition is not None and definition.kind == IndicatorDefinition.Kind.COMPUTED:
        raise ValidationError({"definition": f"“{definition.name}”由系统计算，无需填报"})


def create_reported(user: Any, *, region: Region, year: Any, value: Any, department: str,
                    plan_indicator: PlanIndicator | None = None, definition: IndicatorDefinition | None = None,
                    comment: str = "") -> ReportedValue:
    if not allows(user.role, "reported_value", "add"):
        raise PermissionDenied("您的角色不能填报指标数值")
    prefix = getattr(user, "region_prefix", "")
    if not prefix or not region.code.startswith(prefix):  # before any lookup, so nothing answers for a neighbour
        raise PermissionDenied(f"区划“{region.name}”超出您的管辖范围")
    year = _check_year(year)
    _check_target(plan_indicator, definition, region)
    value = _check_value(value)
    if not (department or "").strip():
        raise ValidationError({"department": "请填写填报部门"})
    dup = ReportedValue.objects.filter(region=region, year=year)
    dup = dup.filter(plan_indicator=plan_indicator) if plan_indicator else dup.filter(definition=definition)
    if dup.exists():
        raise Conflict({"year": f"该指标 {region.name} {year} 年已有填报值，请在原记录上修改"})
    with transaction.atomic():
        rv = ReportedValue.objects.create(plan_indicator=plan_indicator, definition=definition, region=region,
                                          year=year, value=value, department=department.strip()[:60],
                                          comment=comment or "", entered_by=user)
        ensure_in_scope(rv, user, "add")
        record(user, "create", rv, after=_rv_snapshot(rv))
    return rv


def _check_value(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError({"value": "数值应为数字"}) from None
    if v != v or v in (float("inf"), float("-inf")):
        raise ValidationError({"value": "数值应为有限数字"})
    return v


def _locked(rv: ReportedValue) -> ReportedValue:
    return ReportedValue.objects.select_for_update(of=("self",)).select_related("plan_indicator", "definition").get(
        pk=rv.pk)


def update_reported(rv: ReportedValue, user: Any, *, value: Any = None, department: str | None = None,
                    comment: str | None = None) -> ReportedValue:
    with transaction.atomic():
        rv = _locked(rv)
        if not rv.editable:
            raise Conflict(f"状态为“{rv.get_status_display()}”的填报值不能修改")
        before = _rv_snapshot(rv)
        if value is not None:
            rv.value = _check_value(value)
        if department is not None:
            if not department.strip():
                raise ValidationError({"department": "请填写填报部门"})
            rv.department = department.strip()[:60]
        if comment is not None:
            rv.comment = comment
        rv.save()
        ensure_in_scope(rv, user, "change")
        record(user, "update", rv, before=before, after=_rv_snapshot(rv))
    return rv


def _transition(rv: ReportedValue, user: Any, allowed_from: set[str], to: str, event: str, *, approve: bool,
                comment: str = "", check=None) -> ReportedValue:
    if approve and not allows(user.role, "reported_value", "approve"):
        raise PermissionDenied("您的角色没有审核指标填报值的权限")
    with transaction.atomic():
        rv = _locked(rv)
        if rv.status not in allowed_from:
            names = "、".join(ReportedStatus(s).label for s in sorted(allowed_from))
            raise Conflict(f"当前状态为“{rv.get_status_display()}”，只有“{names}”的填报值可以执行此操作")
        if check:
            check(rv)
        before = _rv_snapshot(rv)
        now = timezone.now()
        rv.status = to
        if to == ReportedStatus.SUBMITTED:
            rv.submitted_at = now
        elif to == ReportedStatus.APPROVED:
            rv.approved_by, rv.approved_at = user, now
        elif to == ReportedStatus.PUBLISHED:
            rv.published_by, rv.published_at = user, now
        elif to == ReportedStatus.RETURNED:
            rv.returned_by, rv.returned_at = user, now
            rv.comment = comment
            rv.approved_by, rv.approved_at = None, None
        rv.save()
        ensure_in_scope(rv, user, "change")
        record(user, event, rv, before=before, after=_rv_snapshot(rv), reason=comment)
    return rv


def submit_reported(rv: ReportedValue, user: Any) -> ReportedValue:
    return _transition(rv, user, {ReportedStatus.DRAFT, ReportedStatus.RETURNED}, ReportedStatus.SUBMITTED,
                       "update", approve=False)


def approve_reported(rv: ReportedValue, user: Any) -> ReportedValue:
    def not_self(locked: ReportedValue) -> None:
        if locked.entered_by_id == user.pk:
            raise PermissionDenied("审核人不能是填报人本人，请由其他有审核权限的人员审核")
    return _transition(rv, user, {ReportedStatus.SUBMITTED}, ReportedStatus.APPROVED, "approve", approve=True,
                       check=not_self)


def publish_reported(rv: ReportedValue, user: Any) -> ReportedValue:
    return _transition(rv, user, {ReportedStatus.APPROVED}, ReportedStatus.PUBLISHED, "update", approve=True)


def return_reported(rv: ReportedValue, user: Any, comment: str) -> ReportedValue:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "退回时必须填写退回意见"})
    return _transition(rv, user, {ReportedStatus.SUBMITTED, ReportedStatus.APPROVED}, ReportedStatus.RETURNED,
                       "update", approve=True, comment=comment)


# ---------------------------------------------------------------------------------------------------
# Excel: template and import of reported values


IMPORT_HEADERS = ["区划代码", "年份", "类别", "序号", "指标名称", "数值", "填报部门", "说明"]


def reported_rows(plan: Plan, department: str = "") -> list[PlanIndicator]:
    """The plan's rows that need a department's figures (no registry formula), optionally one department's."""
    rows = [pi for pi in plan.indicators.select_related("definition").order_by("position", "id")
            if not pi.is_computed]
    if department:
        rows = [pi for pi in rows if not pi.departments or any(department in d or d in department
                                                                 for d in pi.departments)]
    return rows


def template_workbook(plan: Plan, region: Region, year: int, department: str = "") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "填报"
    ws.append(IMPORT_HEADERS)
    for pi in reported_rows(plan, department):
        ws.append([region.code, year, pi.category, pi.seq, pi.name, None, department or "、".join(pi.departments), ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class ImportErrors(ValidationError):
    """Row errors of an import, each "第N行“列名”列：…"; nothing was written."""


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def import_reported(user: Any, plan: Plan, data: bytes, max_rows: int = 5000) -> dict[str, int]:
    """Validate every row, then write drafts (new, or updates of the user's draft/returned values) in one go."""
    from openpyxl import load_workbook

    if not allows(user.role, "reported_value", "import"):
        raise PermissionDenied("您的角色不能导入指标填报值")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable upload gets the same answer
        raise ImportErrors(["文件无法读取：请上传由模板填写的 .xlsx 文件"]) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [(_cell(c)) for c in next(rows, ())]
    missing = [h for h in IMPORT_HEADERS[:7] if h not in header]
    if missing:
        raise ImportErrors([f"第1行：缺少列 {'、'.join(missing)}（请使用下载的模板）"])
    col = {h: header.index(h) for h in IMPORT_HEADERS if h in header}
    by_key = {(pi.category, pi.seq): pi for pi in plan.indicators.select_related("definition")}
    scope = user.region_prefix
    regions: dict[str, Region | None] = {}
    errors: list[str] = []
    parsed: list[tuple[int, PlanIndicator, Region, int, float, str, str]] = []
    seen: dict[tuple, int] = {}
    for n, raw in enumerate(rows, start=2):
        if n - 1 > max_rows:
            errors.append(f"文件超过 {max_rows} 行，请分批导入")
            break
        cells = {h: _cell(raw[i]) if i < len(raw) else "" for h, i in col.items()}
        if not any(cells.values()):
            continue
        row_errors = []
        code = normalise_code(cells["区划代码"])
        if code not in regions:
            regions[code] = Region.objects.filter(code=code).first()
        region = regions[code]
        if not cells["区划代码"]:
            row_errors.append(f"第{n}行“区划代码”列：不能为空")
        elif region is None:
            row_errors.append(f"第{n}行“区划代码”列：区划“{cells['区划代码']}”不存在")
        elif not scope or not region.code.startswith(scope):
            row_errors.append(f"第{n}行“区划代码”列：区划“{region.name}”超出您的管辖范围")
        elif not region.code.startswith(plan.region_prefix):
            row_errors.append(f"第{n}行“区划代码”列：区划“{region.name}”不在该规划范围内")
        try:
            year = _check_year(cells["年份"])
        except ValidationError as e:
            row_errors.append(f"第{n}行“年份”列：{e.message_dict['year'][0]}")
            year = 0
        pi = by_key.get((cells["类别"], cells["序号"]))
        if pi is None:
            row_errors.append(f"第{n}行“序号”列：规划中没有类别“{cells['类别']}”序号“{cells['序号']}”的指标")
        elif pi.is_computed:
            row_errors.append(f"第{n}行“序号”列：“{pi.name}”由系统计算，无需填报")
        value = None
        if cells["数值"] == "":
            row_errors.append(f"第{n}行“数值”列：不能为空")
        else:
            try:
                value = _check_value(cells["数值"].rstrip("%").replace(",", ""))
            except ValidationError:
                row_errors.append(f"第{n}行“数值”列：“{cells['数值']}”不是数字")
        if not cells["填报部门"]:
            row_errors.append(f"第{n}行“填报部门”列：不能为空")
        if not row_errors:
            assert pi is not None and region is not None and value is not None  # no errors: all three parsed
            key = (pi.pk, region.code, year)
            if key in seen:
                row_errors.append(f"第{n}行：与第{seen[key]}行是同一指标、区划和年份")
            seen[key] = n
        if row_errors:
            errors.extend(row_errors)
        elif pi is not None and region is not None and value is not None:
            parsed.append((n, pi, region, year, value, cells["填报部门"], cells.get("说明", "")))
    if not errors and not parsed:
        errors.append("文件中没有数据行")
    existing = {}
    if not errors:
        for n, pi, region, year, *_ in parsed:
            rv = ReportedValue.objects.filter(plan_indicator=pi, region=region, year=year).first()
            if rv is not None and not rv.editable:
                errors.append(f"第{n}行：该指标 {region.name} {year} 年的填报值状态为“{rv.get_status_display()}”，"
                              "不能再导入覆盖")
            existing[(pi.pk, region.code, year)] = rv
    if errors:
        raise ImportErrors(errors)
    created = updated = unchanged = 0
    with transaction.atomic():
        for _n, pi, region, year, value, dept, comment in parsed:
            rv = existing.get((pi.pk, region.code, year))
            if rv is None:
                create_reported(user, region=region, year=year, value=value, department=dept, plan_indicator=pi,
                                comment=comment)
                created += 1
            elif rv.value == value and rv.department == dept[:60]:
                unchanged += 1
            else:
                update_reported(rv, user, value=value, department=dept, comment=comment or None)
                updated += 1
    return {"created": created, "updated": updated, "unchanged": unchanged}
