"""Operations that change supervision records: each is one transaction, re-checked against the user's scope
and audited (``audit.services.record``), like the registry's services.

The draw is two separate operations with separate audit events, so the trail proves the order:
``task_commit`` freezes the pools and publishes the seed's commitment; ``task_draw`` (strictly later)
reveals the seed and creates the inspections. System jobs that run without a user (escalating overdue
rectifications and incidents, expiring list entries) are audited with no actor and say so in the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core import crypto
from ylyx.core.errors import Conflict
from ylyx.core.permissions import Action, Resource, allows
from ylyx.core.scoping import ensure_in_scope, prefix_q
from ylyx.core.validators import validate_phone
from ylyx.institutions.models import ChildcareClass, Institution, Status
from ylyx.regions.models import Region
from ylyx.workforce.models import Practitioner, PractitionerRole

from . import checklists
from . import credit as C
from . import draw as D
from . import followup as F
from .models import (
    LEVEL_ORDER,
    AppealKind,
    AppealStatus,
    Assignment,
    Attachment,
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    CreditAppeal,
    CreditEvent,
    CreditListEntry,
    CreditRating,
    Domain,
    EntryStatus,
    Incident,
    IncidentLevel,
    IncidentLog,
    IncidentStatus,
    Inspection,
    InspectionKind,
    InspectionPlan,
    InspectionStatus,
    InspectionTask,
    Inspector,
    InspectorConflict,
    ItemOutcome,
    ItemResult,
    ListType,
    Outcome,
    PlanStatus,
    Rectification,
    RectificationStatus,
    Relocation,
    TaskStatus,
    domain_of_kind,
)
from .workdays import WorkCalendar

OUT_OF_SCOPE = "超出您的管辖范围或权限，操作未保存"
SYSTEM = "系统定时任务（无操作人）"
KINDS_BY_DOMAIN = {Domain.ELDER: {"elder", "community"}, Domain.CHILDCARE: {"childcare"}}
CHILDCARE_ROLES = {PractitionerRole.NURSERY_TEACHER, PractitionerRole.CHILD_CAREGIVER}
# personal data that must not appear in published text: ID numbers, mobile and landline numbers
PERSONAL = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


# ---------------------------------------------------------------------------------------------------
# helpers


def today() -> dt.date:
    return timezone.localdate()


def calendar() -> WorkCalendar:
    return WorkCalendar.from_config(settings.SUPERVISION_CALENDAR_SUPPLEMENT)


def credit_config() -> C.Config:
    return C.load_config(settings.SUPERVISION_CREDIT)


def cfg(key: str) -> Any:
    return settings.SUPERVISION[key]


def _require(user: Any, resource: Resource, action: Action, message: str = "无权执行此操作") -> None:
    if not allows(getattr(user, "role", ""), resource, action):
        raise PermissionDenied(message)


def _raise(errors: Mapping[str, list[str]]) -> None:
    errors = {k: v for k, v in errors.items() if v}
    if set(errors) == {"status"}:  # only the record's state stands in the way: the API answers 409
        raise Conflict(errors)
    if errors:
        raise ValidationError(errors)


def _lock(model: Any, user: Any, action: str, pk: Any) -> Any:
    obj = model.objects.for_user(user, action).select_for_update().filter(pk=getattr(pk, "pk", pk)).first()
    if obj is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    return obj


def _not_future(on: dt.date | None, field: str, label: str, errors: dict) -> None:
    if on is not None and on > today():
        errors.setdefault(field, []).append(f"{label}（{on:%Y-%m-%d}）不能晚于今天")


def _text(value: Any, field: str, label: str, errors: dict, max_len: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.setdefault(field, []).append(f"请填写{label}")
    elif len(text) > max_len:
        errors.setdefault(field, []).append(f"{label}不能超过 {max_len} 个字")
    return text[:max_len]


def _region_in_scope(user: Any, code: Any, errors: dict, field: str = "region") -> Region | None:
    region = code if isinstance(code, Region) else Region.objects.filter(code=str(code or "").strip()).first()
    if region is None:
        errors.setdefault(field, []).append("请选择有效的行政区划")
        return None
    prefix = getattr(user, "region_prefix", "")
    if not prefix or not region.code.startswith(prefix):
        errors.setdefault(field, []).append(f"区划“{region.name}”不在您的管辖范围内")
    return region


def contains_personal_data(text: str) -> bool:
    return bool(PERSONAL.search(text or ""))


# ---------------------------------------------------------------------------------------------------
# plans and the inspector roster


PLAN_FIELDS = ("title", "year", "region", "department", "domain", "kinds", "ratio", "inspectors_per_target",
               "recuse_employer_region", "recuse_last_inspector", "force_new_months", "force_complaint_days",
               "period_start", "period_end", "weights")


def _plan_snapshot(p: InspectionPlan) -> dict:
    return {"title": p.title, "year": p.year, "region": p.region_id, "department": p.department,
            "domain": p.domain, "kinds": p.kinds, "ratio": str(p.ratio), "weights": p.weights,
            "inspectors_per_target": p.inspectors_per_target, "recuse_employer_region": p.recuse_employer_region,
            "recuse_last_inspector": p.recuse_last_inspector, "force_new_months": p.force_new_months,
            "force_complaint_days": p.force_complaint_days, "period_start": p.period_start.isoformat(),
            "period_end": p.period_end.isoformat(), "status": p.status, "checklist": p.checklist}


@transaction.atomic
def plan_create(user: Any, data: Mapping[str, Any]) -> InspectionPlan:
    """年度抽查计划. Weights default to the configured credit weights; the domain decides the checklist."""
    _require(user, "inspection", "add", "无权制定抽查计划")
    errors: dict[str, list[str]] = {}
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError({k: ["该字段不能在此设置"] for k in sorted(unknown)})
    title = _text(data.get("title"), "title", "计划名称", errors, 120)
    department = _text(data.get("department"), "department", "实施部门", errors, 60)
    region = _region_in_scope(user, data.get("region"), errors)
    if region is not None and region.level not in (Region.Level.CITY, Region.Level.COUNTY):
        errors.setdefault("region", []).append("抽查计划由市或旗县区部门制定，实施区划应为市或旗县区")
    domain = data.get("domain") or ""
    if domain not in Domain.values:
        errors["domain"] = ["请选择领域（养老或托育）"]
    kinds = list(data.get("kinds") or [])
    if domain in Domain.values:
        allowed = KINDS_BY_DOMAIN[Domain(domain)]
        kinds = kinds or sorted(allowed)
        bad = [k for k in kinds if k not in allowed]
        if bad:
            errors["kinds"] = [f"抽查对象类别与领域不符：{'、'.join(bad)}"]
    try:
        ratio = Decimal(str(data.get("ratio"))).quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        ratio = Decimal(0)
        errors["ratio"] = ["抽查比例应为 0 到 1 之间的小数，如 0.2"]
    if "ratio" not in errors and not Decimal(0) < ratio <= Decimal(1):
        errors["ratio"] = [f"抽查比例应大于 0、不超过 1（当前 {ratio}）"]
    per = int(data.get("inspectors_per_target") or cfg("inspectors_per_target"))
    if per < 2:
        errors["inspectors_per_target"] = ["每个检查对象至少派 2 名检查人员"]
    start, end = data.get("period_start"), data.get("period_end")
    if not start or not end:
        errors.setdefault("period_start", []).append("请填写检查期")
    elif start > end:
        errors["period_end"] = ["检查期止不能早于检查期起"]
    year = int(data.get("year") or (start.year if start else today().year))
    weights = dict(data.get("weights") or settings.SUPERVISION_CREDIT["weights"])
    try:
        for c in D.CLASSES:
            if Decimal(str(weights[c])) < 0:
                raise ValueError
    except (KeyError, InvalidOperation, ValueError):
        errors["weights"] = ["信用等级抽查权重应包含 A、B、C、D 四级，且不小于 0"]
    _raise(errors)
    assert region is not None
    plan = InspectionPlan.objects.create(
        title=title, year=year, region=region, department=department, domain=domain, kinds=kinds, ratio=ratio,
        weights={c: str(weights[c]) for c in D.CLASSES}, inspectors_per_target=per,
        recuse_employer_region=bool(data.get("recuse_employer_region", False)),
        recuse_last_inspector=bool(data.get("recuse_last_inspector", True)),
        force_new_months=int(data.get("force_new_months") or cfg("force_new_months")),
        force_complaint_days=int(data.get("force_complaint_days") or cfg("force_complaint_days")),
        checklist=str(domain), period_start=start, period_end=end, status=PlanStatus.ACTIVE, created_by=user)
    ensure_in_scope(plan, user, "add")
    record(user, "plan_create", plan, after=_plan_snapshot(plan))
    return plan


@transaction.atomic
def plan_close(user: Any, plan: InspectionPlan, reason: str = "") -> InspectionPlan:
    plan = _lock(InspectionPlan, user, "change", plan)
    if plan.status == PlanStatus.CLOSED:
        raise Conflict({"status": ["计划已结束"]})
    plan.status = PlanStatus.CLOSED
    plan.save(update_fields=["status", "updated_at"])
    record(user, "plan_close", plan, before={"status": PlanStatus.ACTIVE}, after={"status": plan.status},
           reason=reason)
    return plan


@transaction.atomic
def inspector_create(user: Any, data: Mapping[str, Any]) -> Inspector:
    """执法检查人员名录: one entry; ``code`` is what the public draw shows, never the name or phone."""
    _require(user, "inspection", "add", "无权登记检查人员")
    errors: dict[str, list[str]] = {}
    code = _text(data.get("code"), "code", "人员编码", errors, 30)
    if code and Inspector.objects.filter(code=code).exists():
        errors["code"] = [f"人员编码“{code}”已登记"]
    name = _text(data.get("name"), "name", "姓名", errors, 50)
    department = _text(data.get("department"), "department", "所在部门", errors, 60)
    region = _region_in_scope(user, data.get("region"), errors)
    domains = [d for d in (data.get("domains") or []) if d in Domain.values]
    if not domains:
        errors["domains"] = ["请选择执法领域"]
    phone = str(data.get("phone") or "").strip()
    if phone:
        try:
            phone = validate_phone(phone)
        except ValidationError as e:
            errors["phone"] = list(e.messages)
    login = data.get("user")
    if login is not None and (getattr(login, "role", "") != "inspector" or Inspector.objects.filter(user=login).exists()):
        errors["user"] = ["登录账号须为“检查人员”角色，且未关联其他检查人员"]
    _raise(errors)
    assert region is not None
    ins = Inspector.objects.create(code=code, name=name, department=department, region=region, domains=domains,
                                   certificate_no=str(data.get("certificate_no") or "")[:40],
                                   phone_enc=crypto.encrypt_field(phone), user=login, active=True)
    ensure_in_scope(ins, user, "add")
    record(user, "inspector_create", ins, after={"code": code, "department": department, "region": region.code,
                                                 "domains": domains, "user": getattr(login, "pk", None)})
    return ins


@transaction.atomic
def conflict_declare(user: Any, inspector: Inspector, institution: Institution, reason: str,
                     on: dt.date | None = None) -> InspectorConflict:
    """回避申报: the inspector is never drawn for this institution (the reason stays internal)."""
    ins = _lock(Inspector, user, "change", inspector)
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", "回避事由", errors, 200)
    inst = Institution.objects.for_user(user, "view").filter(pk=getattr(institution, "pk", institution)).first()
    if inst is None:
        errors["institution"] = ["机构不存在或不在您的管辖范围内"]
    elif InspectorConflict.objects.filter(inspector=ins, institution=inst).exists():
        errors["institution"] = ["已申报过对该机构的回避"]
    on = on or today()
    _not_future(on, "declared_on", "申报日期", errors)
    _raise(errors)
    c = InspectorConflict.objects.create(inspector=ins, institution=inst, reason=reason, declared_on=on)
    record(user, "inspector_conflict", ins, after={"institution": c.institution_id, "declared_on": on.isoformat()},
           reason=reason)
    return c


# ---------------------------------------------------------------------------------------------------
# tasks and the draw


@transaction.atomic
def task_create(user: Any, plan: InspectionPlan, name: str, period_start: dt.date | None = None,
                period_end: dt.date | None = None) -> InspectionTask:
    plan = _lock(InspectionPlan, user, "change", plan)
    errors: dict[str, list[str]] = {}
    name = _text(name, "name", "批次名称", errors, 60)
    if plan.status != PlanStatus.ACTIVE:
        errors["plan"] = ["计划不在执行中，不能新增抽查任务"]
    start, end = period_start or plan.period_start, period_end or plan.period_end
    if start > end:
        errors["period_end"] = ["检查期止不能早于检查期起"]
    if start < plan.period_start or end > plan.period_end:
        errors.setdefault("period_start", []).append(
            f"任务检查期应在计划检查期（{plan.period_start:%Y-%m-%d}—{plan.period_end:%Y-%m-%d}）内")
    if plan.tasks.filter(name=name).exists():
        errors["name"] = [f"批次“{name}”已存在"]
    _raise(errors)
    task = InspectionTask.objects.create(plan=plan, name=name, period_start=start, period_end=end)
    record(user, "task_create", task, after={"plan": plan.pk, "name": name, "period_start": start.isoformat(),
                                             "period_end": end.isoformat()})
    return task


def latest_classes(institution_ids: Iterable[int], before_year: int) -> dict[int, str]:
    """Each institution's most recent yearly class before ``before_year`` (finished years only)."""
    out: dict[int, str] = {}
    rows = (CreditRating.objects.filter(institution_id__in=list(institution_ids), year__lt=before_year)
            .order_by("institution_id", "year").values_list("institution_id", "credit_class"))
    for iid, cls in rows:
        out[iid] = cls  # ordered by year: the last kept is the latest
    return out


def build_pools(plan: InspectionPlan, on: dt.date) -> D.Pools:
    """检查对象名录 and 执法检查人员名录 as they stand on ``on``, with credit classes, forced entries and recusals."""
    region = plan.region
    insts = list(Institution.objects.filter(prefix_q("region_id", region.prefix), kind__in=plan.kinds,
                                            status=Status.OPERATING)
                 .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=on)).order_by("id"))
    ids = [i.pk for i in insts]
    ccfg = credit_config()
    classes = latest_classes(ids, on.year)
    new_since = C.add_months(on, -plan.force_new_months)
    upheld_since = on - dt.timedelta(days=plan.force_complaint_days)
    complained = set(Complaint.objects.filter(
        institution_id__in=ids, outcome__in=[ComplaintOutcome.UPHELD, ComplaintOutcome.PARTLY],
        closed_on__gt=upheld_since, closed_on__lte=on).values_list("institution_id", flat=True))
    black = set(CreditListEntry.objects.filter(
        institution_id__in=ids, list_type=ListType.BLACK, status=EntryStatus.ACTIVE, entered_on__lte=on)
        .values_list("institution_id", flat=True))
    targets = []
    for i in insts:
        forced = ""
        if i.pk in black:
            forced = "失信名单"
        elif i.opened_on and i.opened_on > new_since:
            forced = "新开业"
        elif i.pk in complained:
            forced = "投诉属实"
        targets.append(D.Target(i.pk, i.name, i.region_id, domain_of_kind(i.kind),
                                classes.get(i.pk, ccfg.default_class), i.kind, i.uscc, forced))
    # inspectors of the plan's region and of the regions above it (a city bureau serves its counties)
    ancestors = [r.code for r in region.ancestors()]
    roster = list(Inspector.objects.filter(Q(prefix_q("region_id", region.prefix)) | Q(region_id__in=ancestors),
                                           active=True).order_by("id"))
    roster = [r for r in roster if plan.domain in (r.domains or [])]
    recusal: dict[int, set[int]] = {r.pk: set() for r in roster}
    for iid, tid in InspectorConflict.objects.filter(inspector__in=roster, institution_id__in=ids).values_list(
            "inspector_id", "institution_id"):
        recusal[iid].add(tid)
    if plan.recuse_last_inspector:
        last: dict[int, int] = {}
        done = (Inspection.objects.filter(institution_id__in=ids, inspected_on__isnull=False, inspected_on__lte=on)
                .order_by("institution_id", "inspected_on", "id").values_list("institution_id", "pk"))
        for tid, pk in done:
            last[tid] = pk
        for iid, tid in Assignment.objects.filter(inspection_id__in=list(last.values())).values_list(
                "inspector_id", "inspection__institution_id"):
            if iid in recusal:
                recusal[iid].add(tid)
    inspectors = [D.Inspector(r.pk, r.code, r.department, r.region_id, tuple(sorted(r.domains)),
                              tuple(sorted(recusal[r.pk]))) for r in roster]
    params = D.Params(Decimal(plan.ratio), {c: Decimal(str(plan.weights[c])) for c in D.CLASSES},
                      plan.inspectors_per_target, plan.recuse_employer_region)
    return D.Pools.freeze(targets, inspectors, params)


def pools_of(task: InspectionTask) -> D.Pools:
    """The frozen pools exactly as committed (re-read from the stored canonical JSON)."""
    return D.Pools.freeze([D.Target.from_dict(t) for t in json.loads(task.targets_json)],
                          [D.Inspector.from_dict(i) for i in json.loads(task.inspectors_json)],
                          D.Params.from_dict(json.loads(task.params_json)))


def task_document(task: InspectionTask) -> dict[str, Any]:
    """The published draw document (public page, JSON download, ``ylyx verify-draw``)."""
    if not task.is_committed:
        raise ValueError("该任务尚未公布种子承诺值")
    pools = pools_of(task)
    result = None
    if task.is_drawn:
        data = json.loads(task.result_json)
        result = D.Result(tuple(D.Selected(s["target"], s["credit_class"], s["forced"], tuple(s["inspectors"]))
                                for s in data["selected"]),
                          {c: (v["pool"], v["selected"]) for c, v in data["by_class"].items()})
    info = {"id": task.pk, "title": str(task), "plan": task.plan.title, "department": task.plan.department,
            "region": task.plan.region_id, "period": f"{task.period_start:%Y-%m-%d}—{task.period_end:%Y-%m-%d}"}
    return D.document(task=info, pools=pools, commitment=task.commitment,
                      committed_at=timezone.localtime(task.committed_at).isoformat() if task.committed_at else "",
                      seed=task.seed, witness=task.witness,
                      drawn_at=timezone.localtime(task.drawn_at).isoformat() if task.drawn_at else "", result=result)


@transaction.atomic
def task_commit(user: Any, task: InspectionTask, on: dt.date | None = None, *, seed: str | None = None
                ) -> InspectionTask:
    """Freeze both pools, generate the secret seed and publish its SHA-256 commitment (audited, timestamped).

    ``seed`` exists for the reproducible demo city and tests only; pages and the API never pass it, so a
    real seed always comes from ``secrets``.
    """
    _require(user, "inspection", "draw", "无权组织抽取")
    task = _lock(InspectionTask, user, "draw", task)
    if task.is_committed:
        raise Conflict({"commitment": ["该任务已公布种子承诺值，不能重新生成（每个任务只有一个承诺值）"]})
    on = on or today()
    try:
        pools = build_pools(task.plan, on)
    except D.DrawError as exc:
        raise ValidationError({"plan": [str(exc)]}) from exc
    if not pools.targets:
        raise Conflict({"plan": ["检查对象名录为空：计划范围内没有符合类别的运营中机构"]})
    per = task.plan.inspectors_per_target
    if len(pools.inspectors) < per:
        raise Conflict({"plan": [f"检查人员名录只有 {len(pools.inspectors)} 人，少于每个对象应派的 {per} 人"]})
    seed = seed or D.new_seed()
    task.seed_enc = crypto.encrypt_field(seed)
    task.commitment = D.commitment_of(seed)
    task.targets_json, task.targets_sha256 = pools.targets_json.decode(), pools.targets_sha256
    task.inspectors_json, task.inspectors_sha256 = pools.inspectors_json.decode(), pools.inspectors_sha256
    task.params_json, task.params_sha256 = pools.params_json.decode(), pools.params_sha256
    task.committed_at = timezone.now()
    task.committed_by = user
    task.save()
    record(user, "draw_commit", task, detail={
        "commitment": task.commitment, "committed_at": task.committed_at.isoformat(),
        "targets_sha256": task.targets_sha256, "inspectors_sha256": task.inspectors_sha256,
        "params_sha256": task.params_sha256, "targets": len(pools.targets), "inspectors": len(pools.inspectors)})
    return task


@transaction.atomic
def task_draw(user: Any, task: InspectionTask, witness: str = "") -> InspectionTask:
    """Reveal the seed, compute the draw from the frozen pools and create one inspection per target."""
    _require(user, "inspection", "draw", "无权组织抽取")
    task = _lock(InspectionTask, user, "draw", task)
    if not task.is_committed:
        raise Conflict({"commitment": ["请先公布种子承诺值，再进行抽取"]})
    if task.is_drawn:
        raise Conflict({"seed": ["该任务已抽取"]})
    now = timezone.now()
    # strictly later at the audit trail's precision (milliseconds), so the trail itself proves the order
    if task.committed_at is None or now.replace(microsecond=now.microsecond // 1000 * 1000) <= task.committed_at:
        raise Conflict({"seed": ["抽取时间须晚于承诺公布时间，请稍后再抽取"]})
    witness = str(witness or "").strip()
    if len(witness) > 100:
        raise ValidationError({"witness": ["见证值不能超过 100 个字符"]})
    seed = crypto.decrypt_field(task.seed_enc)
    if D.commitment_of(seed) != task.commitment:  # the stored seed must be the committed one
        raise Conflict({"seed": ["保存的种子与承诺值不一致，抽取已中止，请联系系统管理员"]})
    pools = pools_of(task)
    if (pools.targets_sha256, pools.inspectors_sha256, pools.params_sha256) != (
            task.targets_sha256, task.inspectors_sha256, task.params_sha256):
        raise Conflict({"seed": ["冻结的名录与公布的摘要不一致，抽取已中止"]})
    try:
        result = D.draw(seed, pools, witness)
    except D.DrawError as exc:
        raise ValidationError({"plan": [str(exc)]}) from exc
    task.seed, task.witness, task.drawn_at, task.drawn_by = seed, witness, now, user
    task.result_json = D.canonical(result.to_dict()).decode()
    task.result_sha256 = result.sha256
    task.status = TaskStatus.DRAWN
    task.save()
    by_id = {t.id: t for t in pools.targets}
    insts = Institution.objects.in_bulk([s.target for s in result.selected])
    created = []
    for s in result.selected:
        inst = insts[s.target]
        insp = Inspection.objects.create(
            task=task, institution=inst, region_id=inst.region_id, domain=domain_of_kind(inst.kind),
            kind=InspectionKind.RANDOM, checklist=checklists.for_kind(inst.kind).code, forced_reason=s.forced,
            credit_class=by_id[s.target].credit_class)
        Assignment.objects.bulk_create([Assignment(inspection=insp, inspector_id=iid, lead=n == 0)
                                        for n, iid in enumerate(s.inspectors)])
        created.append(insp.pk)
    record(user, "draw_perform", task, detail={
        "seed": seed, "witness": witness, "drawn_at": now.isoformat(), "result_sha256": task.result_sha256,
        "selected": len(result.selected), "inspections": created})
    return task


# ---------------------------------------------------------------------------------------------------
# inspections on site


def _inspection_for_work(user: Any, insp: Inspection | int) -> Inspection:
    """Recording on site is for the assigned inspectors and the officials; never the operator."""
    if getattr(user, "role", "") == "operator":
        raise PermissionDenied("机构经办人不能填写检查结果")
    _require(user, "inspection", "change", "无权填写检查结果")
    obj = _lock(Inspection, user, "change", insp)
    if obj.status in (InspectionStatus.DONE, InspectionStatus.PUBLISHED):
        raise Conflict({"status": ["检查已完成，不能再修改检查结果"]})
    return obj


def _task_rollup(task: InspectionTask | None) -> None:
    if task is None:
        return
    states = set(task.inspections.values_list("status", flat=True))
    new = task.status
    if states and states <= {InspectionStatus.PUBLISHED}:
        new = TaskStatus.PUBLISHED
    elif states and states <= {InspectionStatus.DONE, InspectionStatus.PUBLISHED}:
        new = TaskStatus.COMPLETED
    elif states - {InspectionStatus.ASSIGNED}:
        new = TaskStatus.IN_PROGRESS
    if new != task.status:
        InspectionTask.objects.filter(pk=task.pk).update(status=new, updated_at=timezone.now())


@transaction.atomic
def inspection_check_in(user: Any, insp: Inspection, lat: float | None, lon: float | None,
                        at: dt.datetime | None = None) -> Inspection:
    """到场: the time and place the team arrived (the page reads the phone's location)."""
    obj = _inspection_for_work(user, insp)
    errors: dict[str, list[str]] = {}
    if lat is not None and not -90 <= lat <= 90:
        errors["lat"] = ["纬度应在 -90 到 90 之间"]
    if lon is not None and not -180 <= lon <= 180:
        errors["lon"] = ["经度应在 -180 到 180 之间"]
    at = at or timezone.now()
    if at > timezone.now() + dt.timedelta(minutes=5):
        errors["checked_in_at"] = ["到场时间不能晚于当前时间"]
    _raise(errors)
    obj.checked_in_at, obj.lat, obj.lon = at, lat, lon
    obj.status = InspectionStatus.IN_PROGRESS
    obj.save(update_fields=["checked_in_at", "lat", "lon", "status", "updated_at"])
    _task_rollup(obj.task)
    record(user, "inspection_check_in", obj, after={"checked_in_at": at.isoformat(), "lat": lat, "lon": lon})
    return obj


@transaction.atomic
def inspection_record(user: Any, insp: Inspection, results: Mapping[str, tuple[str, str]]) -> Inspection:
    """Record checklist items: ``{code: (pass|fail|na, note)}``; a 不符合 item needs its problem described."""
    obj = _inspection_for_work(user, insp)
    checklist = checklists.get(obj.checklist)
    errors: dict[str, list[str]] = {}
    for code, (result, note) in results.items():
        item = checklist.item(code)
        if item is None:
            errors.setdefault("items", []).append(f"检查项“{code}”不在检查表“{checklist.title}”中")
            continue
        if result not in ItemOutcome.values:
            errors.setdefault(code, []).append(f"检查项 {code} 的结果无效")
        elif result == ItemOutcome.FAIL and not str(note or "").strip():
            errors.setdefault(code, []).append(f"检查项 {code}（{item.text[:20]}…）不符合，须填写问题描述")
        if len(str(note or "")) > 1000:
            errors.setdefault(code, []).append(f"检查项 {code} 的问题描述不能超过 1000 字")
    _raise(errors)
    before = {r.code: r.result for r in obj.items.all()}
    for code, (result, note) in results.items():
        item = checklist.item(code)
        assert item is not None
        ItemResult.objects.update_or_create(inspection=obj, code=code, defaults={
            "text": item.text, "basis": item.basis, "severity": item.severity, "result": result,
            "note": str(note or "").strip()})
    if obj.status == InspectionStatus.ASSIGNED:
        obj.status = InspectionStatus.IN_PROGRESS
        obj.save(update_fields=["status", "updated_at"])
        _task_rollup(obj.task)
    after = {c: r for c, (r, _) in results.items()}
    record(user, "inspection_record", obj, before={c: before.get(c) for c in after}, after=after)
    return obj


def _photo_dir():
    d = cfg("attachments_dir")
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def attachment_path(att: Attachment):
    return _photo_dir() / att.stored_name


@transaction.atomic
def attachment_add(user: Any, insp: Inspection, upload: Any, item_code: str = "", lat: float | None = None,
                   lon: float | None = None) -> Attachment:
    """A site photo: checked as an image by Pillow (type, size, pixels), stored under a random name in a
    private folder outside MEDIA_ROOT, served only by the scoped view."""
    from PIL import Image, UnidentifiedImageError

    obj = _inspection_for_work(user, insp)
    max_bytes = cfg("photo_max_bytes")
    data = upload.read(max_bytes + 1)
    errors: dict[str, list[str]] = {}
    if len(data) > max_bytes:
        errors["photo"] = [f"照片不能超过 {max_bytes // (1024 * 1024)} MB"]
    elif not data:
        errors["photo"] = ["请选择照片"]
    fmt, width, height = "", 0, 0
    if not errors:
        Image.MAX_IMAGE_PIXELS = cfg("photo_max_pixels")
        try:
            with Image.open(io.BytesIO(data)) as im:
                fmt, (width, height) = (im.format or ""), im.size
                im.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError):
            errors["photo"] = ["文件不是有效的图片（支持 JPEG、PNG、WebP）"]
        else:
            if fmt not in ("JPEG", "PNG", "WEBP"):
                errors["photo"] = [f"不支持的图片格式 {fmt}（支持 JPEG、PNG、WebP）"]
            elif width * height > cfg("photo_max_pixels"):
                errors["photo"] = ["图片像素过大"]
    if item_code and checklists.get(obj.checklist).item(item_code) is None:
        errors["item_code"] = [f"检查项“{item_code}”不在本检查表中"]
    if lat is not None and not -90 <= lat <= 90:
        errors["lat"] = ["纬度应在 -90 到 90 之间"]
    if lon is not None and not -180 <= lon <= 180:
        errors["lon"] = ["经度应在 -180 到 180 之间"]
    _raise(errors)
    stored = f"{secrets.token_hex(16)}.{fmt.lower().replace('jpeg', 'jpg')}"
    path = _photo_dir() / stored
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as fh:
        fh.write(data)
    try:
        att = Attachment.objects.create(
            inspection=obj, item_code=item_code, stored_name=stored,
            original_name=str(getattr(upload, "name", ""))[:120], sha256=hashlib.sha256(data).hexdigest(),
            size=len(data), content_type=f"image/{fmt.lower()}", width=width, height=height,
            taken_at=timezone.now(), lat=lat, lon=lon, uploaded_by=user)
        record(user, "inspection_photo", obj, after={"attachment": att.pk, "sha256": att.sha256, "size": att.size,
                                                     "item_code": item_code, "lat": lat, "lon": lon})
    except Exception:
        path.unlink(missing_ok=True)  # no orphan file when the row is not written
        raise
    return att


def _rect_deadline(severity: str, on: dt.date) -> dt.date:
    return on + dt.timedelta(days=int(cfg("rectification_days")[severity]))


@transaction.atomic
def inspection_complete(user: Any, insp: Inspection, outcome: str, summary: str = "",
                        on: dt.date | None = None) -> Inspection:
    """检查完成: every item answered; rectification orders for the 不符合 items; the publication deadline
    (20 working days); the next inspection date; a credit event; a re-inspection closes what it verifies."""
    obj = _inspection_for_work(user, insp)
    checklist = checklists.get(obj.checklist)
    results = {r.code: r for r in obj.items.all()}
    errors: dict[str, list[str]] = {}
    missing = [i.code for i in checklist.items if i.code not in results]
    if missing:
        errors["items"] = [f"还有 {len(missing)} 个检查项未填写：{'、'.join(missing[:8])}"]
    if outcome not in Outcome.values:
        errors["outcome"] = ["请选择检查结论"]
    failed = [r for r in results.values() if r.result == ItemOutcome.FAIL]
    if outcome == Outcome.PASS and failed:
        errors["outcome"] = [f"有 {len(failed)} 个检查项不符合，结论不能为“合格”"]
    if outcome == Outcome.MINOR and any(r.severity == "high" for r in failed):
        errors["outcome"] = ["有严重问题项不符合，结论应为“不合格”"]
    if outcome in (Outcome.MINOR, Outcome.FAIL) and not failed:
        errors["outcome"] = ["没有不符合项，结论应为“合格”"]
    on = on or today()
    _not_future(on, "inspected_on", "检查日期", errors)
    if obj.task and on < obj.task.period_start:
        errors.setdefault("inspected_on", []).append(f"检查日期早于任务检查期（{obj.task.period_start:%Y-%m-%d}起）")
    summary = _text(summary, "summary", "检查情况", errors, 4000, required=False)
    _raise(errors)
    deadline = calendar().deadline(on, cfg("publish_within_workdays"), provisional=True)
    obj.status, obj.outcome, obj.summary, obj.inspected_on = InspectionStatus.DONE, outcome, summary, on
    obj.publish_due, obj.publish_due_provisional = deadline.on, deadline.provisional
    rects = []
    for r in failed:
        rects.append(Rectification.objects.create(
            inspection=obj, item_code=r.code, institution_id=obj.institution_id, region_id=obj.region_id,
            domain=obj.domain, description=f"{r.text}：{r.note}"[:2000], severity=r.severity,
            deadline=_rect_deadline(r.severity, on)))
    closed = _close_verified(user, obj, results, on)
    open_deadlines = list(Rectification.objects.filter(institution_id=obj.institution_id)
                          .exclude(status=RectificationStatus.CLOSED).values_list("deadline", flat=True))
    nxt = F.next_inspection(inspected_on=on, outcome=outcome, credit_class=obj.credit_class or credit_config().default_class,
                            kind=obj.institution.kind, open_deadlines=open_deadlines,
                            config=F.load_config(settings.SUPERVISION_FOLLOWUP))
    obj.next_due, obj.next_due_reason = nxt.due, nxt.reason[:120]
    obj.save()
    _task_rollup(obj.task)
    ensure_in_scope(obj, user, "change")
    kind = {Outcome.PASS: "inspection_pass", Outcome.MINOR: "inspection_minor", Outcome.FAIL: "inspection_fail"}[
        Outcome(outcome)]
    credit_event_system(obj.institution, kind, on, note=f"{obj.get_kind_display()}结论：{obj.get_outcome_display()}",
                        source=f"inspection:{obj.pk}", actor=user)
    record(user, "inspection_complete", obj, after={
        "outcome": outcome, "inspected_on": on.isoformat(), "publish_due": deadline.on.isoformat(),
        "publish_due_provisional": deadline.provisional, "rectifications": [r.pk for r in rects],
        "closed_rectifications": closed, "next_due": nxt.due.isoformat()})
    return obj


def _close_verified(user: Any, insp: Inspection, results: Mapping[str, ItemResult], on: dt.date) -> list[int]:
    """Any later inspection of the institution verifies its open orders: an item now 符合/不适用 closes."""
    closed = []
    for rect in Rectification.objects.select_for_update().filter(institution_id=insp.institution_id).exclude(
            status=RectificationStatus.CLOSED).exclude(inspection=insp):
        res = results.get(rect.item_code)
        if res is None or res.result == ItemOutcome.FAIL:
            continue
        on_time = on <= rect.deadline or (rect.reported_on is not None and rect.reported_on <= rect.deadline)
        rect.status, rect.closed_on, rect.closed_by = RectificationStatus.CLOSED, on, insp
        rect.save(update_fields=["status", "closed_on", "closed_by", "updated_at"])
        closed.append(rect.pk)
        record(user, "rectification_close", rect, after={"closed_on": on.isoformat(), "by_inspection": insp.pk,
                                                         "on_time": on_time})
        if on_time:
            credit_event_system(rect.institution, "rectification_done", on, note="整改经复查通过",
                                source=f"rectification:{rect.pk}", actor=user)
    return closed


@transaction.atomic
def inspection_publish(user: Any, insp: Inspection, public_summary: str) -> Inspection:
    """公示: the public text may not carry personal data; publishing late is allowed but recorded as late."""
    _require(user, "inspection", "publish", "无权公示检查结果")
    obj = _lock(Inspection, user, "publish", insp)
    errors: dict[str, list[str]] = {}
    if obj.status != InspectionStatus.DONE:
        errors["status"] = ["只有已完成、尚未公示的检查可以公示"]
    text = _text(public_summary, "public_summary", "公示内容", errors, 2000)
    if contains_personal_data(text):
        errors.setdefault("public_summary", []).append("公示内容含有身份证号或电话号码等个人信息，请删除后再公示")
    _raise(errors)
    now = timezone.now()
    obj.public_summary, obj.published_at, obj.published_by = text, now, user
    obj.status = InspectionStatus.PUBLISHED
    obj.save(update_fields=["public_summary", "published_at", "published_by", "status", "updated_at"])
    _task_rollup(obj.task)
    late = obj.publish_due is not None and timezone.localdate(now) > obj.publish_due
    record(user, "inspection_publish", obj, after={"published_at": now.isoformat(), "late": late,
                                                   "publish_due": obj.publish_due.isoformat() if obj.publish_due else None})
    return obj


@transaction.atomic
def reinspection_create(user: Any, institution: Institution, inspectors: Iterable[Inspector | int], *,
                        kind: str = InspectionKind.REINSPECTION, reason: str = "") -> Inspection:
    """整改复查 / 投诉核查 outside a draw: the official picks at least two inspectors; recusal still applies."""
    _require(user, "inspection", "add", "无权安排检查")
    errors: dict[str, list[str]] = {}
    inst = Institution.objects.for_user(user, "view").filter(pk=getattr(institution, "pk", institution)).first()
    if inst is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    ids: list[int] = sorted({i.pk if isinstance(i, Inspector) else int(i) for i in inspectors})
    roster = list(Inspector.objects.for_user(user, "view").filter(pk__in=ids, active=True))
    need = cfg("inspectors_per_target")
    if len(roster) < need or len(roster) != len(ids):
        errors["inspectors"] = [f"请选择至少 {need} 名在册检查人员"]
    conflicted = set(InspectorConflict.objects.filter(inspector__in=roster, institution=inst)
                     .values_list("inspector__code", flat=True))
    if conflicted:
        errors["inspectors"] = [f"检查人员 {'、'.join(sorted(conflicted))} 已申报回避该机构"]
    domain = domain_of_kind(inst.kind)
    unqualified = [r.code for r in roster if domain not in (r.domains or [])]
    if unqualified:
        errors.setdefault("inspectors", []).append(f"检查人员 {'、'.join(unqualified)} 无该领域执法资格")
    _raise(errors)
    latest = Inspection.objects.filter(institution=inst, status__in=[InspectionStatus.DONE, InspectionStatus.PUBLISHED]
                                       ).order_by("-inspected_on", "-id").first()
    insp = Inspection.objects.create(institution=inst, region_id=inst.region_id, domain=domain, kind=kind,
                                     checklist=checklists.for_kind(inst.kind).code, reinspection_of=latest,
                                     credit_class=latest_classes([inst.pk], today().year + 1).get(
                                         inst.pk, credit_config().default_class))
    Assignment.objects.bulk_create([Assignment(inspection=insp, inspector=r, lead=n == 0)
                                    for n, r in enumerate(roster)])
    ensure_in_scope(insp, user, "add")
    record(user, "inspection_create", insp, after={"kind": kind, "inspectors": [r.code for r in roster],
                                                   "reinspection_of": getattr(latest, "pk", None)}, reason=reason)
    return insp


# ---------------------------------------------------------------------------------------------------
# rectification


@transaction.atomic
def rectification_report(user: Any, rect: Rectification, text: str, on: dt.date | None = None) -> Rectification:
    """The institution reports what it corrected; only a re-inspection closes the order."""
    obj = _lock(Rectification, user, "change", rect)
    errors: dict[str, list[str]] = {}
    if obj.status == RectificationStatus.CLOSED:
        errors["status"] = ["整改已复查通过"]
    text = _text(text, "report_text", "整改情况", errors, 2000)
    on = on or today()
    _not_future(on, "reported_on", "报告日期", errors)
    _raise(errors)
    before = obj.status
    obj.report_text, obj.reported_on = text, on
    if obj.status == RectificationStatus.OPEN:
        obj.status = RectificationStatus.REPORTED
    obj.save(update_fields=["report_text", "reported_on", "status", "updated_at"])
    record(user, "rectification_report", obj, before={"status": before}, after={"status": obj.status,
                                                                                "reported_on": on.isoformat()})
    return obj


@transaction.atomic
def escalate_overdue_rectifications(on: dt.date | None = None) -> int:
    """Daily job: an order past its deadline and not verified is 逾期督办 (status, to-do, credit event)."""
    on = on or today()
    n = 0
    for rect in Rectification.objects.select_for_update().select_related("institution").filter(
            deadline__lt=on, status__in=[RectificationStatus.OPEN, RectificationStatus.REPORTED]):
        if rect.status == RectificationStatus.REPORTED and rect.reported_on and rect.reported_on <= rect.deadline:
            continue  # reported in time: waits for the re-inspection, not escalated
        before = rect.status
        rect.status, rect.escalated_on = RectificationStatus.ESCALATED, on
        rect.save(update_fields=["status", "escalated_on", "updated_at"])
        record(None, "rectification_escalate", rect, before={"status": before},
               after={"status": rect.status, "escalated_on": on.isoformat()}, reason=SYSTEM)
        credit_event_system(rect.institution, "rectification_overdue", on, note=f"整改期限 {rect.deadline:%Y-%m-%d}",
                            source=f"rectification:{rect.pk}", actor=None)
        n += 1
    return n


# ---------------------------------------------------------------------------------------------------
# credit


def _subject_fields(subject: Any) -> dict[str, Any]:
    if isinstance(subject, Institution):
        return {"institution": subject, "practitioner": None, "region_id": subject.region_id,
                "domain": domain_of_kind(subject.kind)}
    if isinstance(subject, Practitioner):
        dom = Domain.CHILDCARE if subject.role in CHILDCARE_ROLES else Domain.ELDER
        return {"institution": None, "practitioner": subject, "region_id": subject.region_id, "domain": dom}
    raise ValueError("信用主体应为机构或从业人员")


def _subject_q(subject: Any) -> Q:
    return Q(institution=subject) if isinstance(subject, Institution) else Q(practitioner=subject)


def credit_event_system(subject: Any, kind: str, on: dt.date, *, note: str = "", source: str = "",
                        actor: Any = None, points: int | None = None) -> CreditEvent:
    """Record a scored event and re-rate the year; list rules then act by themselves (失信 entries)."""
    ccfg = credit_config()
    if kind not in ccfg.events:
        raise ValidationError({"kind": [f"未定义的信用事件：{kind}"]})
    et = ccfg.events[kind]
    ev = CreditEvent.objects.create(kind=kind, label=et.label, points=et.points if points is None else points,
                                    on=on, note=note[:300], source=source[:60], recorded_by=actor,
                                    **_subject_fields(subject))
    record(actor, "credit_event", ev, after={"kind": kind, "points": ev.points, "on": on.isoformat(), "source": source},
           reason="" if actor is not None else SYSTEM)
    rerate(subject, on.year)
    apply_list_rules(subject, max(on, today()) if on.year == today().year else on, actor=actor)
    return ev


@transaction.atomic
def credit_event_record(user: Any, subject: Any, kind: str, on: dt.date | None = None, note: str = "",
                        points: int | None = None) -> CreditEvent:
    """An official records an event (行政处罚, 骗取补贴, 表彰 …) in a subject's credit file."""
    _require(user, "credit", "add", "无权记录信用事件")
    model = Institution if isinstance(subject, Institution) else Practitioner
    if not model.objects.for_user(user, "view").filter(pk=subject.pk).exists():
        raise PermissionDenied(OUT_OF_SCOPE)
    errors: dict[str, list[str]] = {}
    on = on or today()
    _not_future(on, "on", "发生日期", errors)
    if kind not in credit_config().events:
        errors["kind"] = ["请选择信用事件类型"]
    note = _text(note, "note", "说明", errors, 300)
    _raise(errors)
    ev = credit_event_system(subject, kind, on, note=note, source="manual", actor=user, points=points)
    ensure_in_scope(ev, user, "add")
    return ev


def rerate(subject: Any, year: int) -> CreditRating:
    """The subject's class for ``year`` from its non-revoked events (idempotent)."""
    ccfg = credit_config()
    events = [C.Event(on, kind, pts) for on, kind, pts in CreditEvent.objects.filter(
        _subject_q(subject), revoked=False, on__year=year).values_list("on", "kind", "points")]
    r = C.rate_year(ccfg, events, year)
    fields = _subject_fields(subject)
    obj, _ = CreditRating.objects.update_or_create(
        **{k: v for k, v in fields.items() if k in ("institution", "practitioner") and v is not None}, year=year,
        defaults={"points": r.points, "credit_class": r.credit_class, "scale": r.scale,
                  "region_id": fields["region_id"], "domain": fields["domain"]})
    return obj


def apply_list_rules(subject: Any, on: dt.date, actor: Any = None) -> list[CreditListEntry]:
    """Enter the subject on the lists its record qualifies it for (once per rule while active)."""
    ccfg = credit_config()
    ratings = dict(CreditRating.objects.filter(_subject_q(subject)).values_list("year", "credit_class"))
    events = [C.Event(o, k, p) for o, k, p in CreditEvent.objects.filter(_subject_q(subject), revoked=False, on__lte=on)
              .values_list("on", "kind", "points")]
    active = CreditListEntry.objects.filter(_subject_q(subject), status=EntryStatus.ACTIVE)
    out = []
    for p in C.list_proposals(ccfg, ratings, events, on):
        if active.filter(list_type=p.list_type).exists():
            continue
        if p.list_type == ListType.BLACK:  # a black entry ends any red one
            for red in active.filter(list_type=ListType.RED):
                red.status, red.exited_on, red.exit_reason = EntryStatus.EXITED, on, "列入失信名单"
                red.save(update_fields=["status", "exited_on", "exit_reason", "updated_at"])
        months = ccfg.rules.black_list_months if p.list_type == ListType.BLACK else ccfg.rules.red_list_months
        entry = CreditListEntry.objects.create(list_type=p.list_type, rule=p.rule, reason=p.reason[:300],
                                               entered_on=on, expires_on=C.add_months(on, months),
                                               **_subject_fields(subject))
        record(actor, "credit_list_enter", entry, after={"list": p.list_type, "rule": p.rule, "on": on.isoformat()},
               reason="依规则自动列入")
        out.append(entry)
    return out


@transaction.atomic
def appeal_submit(user: Any, entry: CreditListEntry, kind: str, text: str) -> CreditAppeal:
    """异议 or 信用修复 application, by the institution's operator or an official."""
    if not (allows(user.role, "credit", "appeal") or allows(user.role, "credit", "change")):
        raise PermissionDenied("无权提出信用异议或修复申请")
    obj = CreditListEntry.objects.for_user(user, "view").select_for_update().filter(pk=entry.pk).first()
    if obj is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    errors: dict[str, list[str]] = {}
    if obj.status != EntryStatus.ACTIVE:
        errors["entry"] = ["该名单记录已不在列"]
    if kind not in AppealKind.values:
        errors["kind"] = ["请选择申请类型"]
    elif kind == AppealKind.REPAIR and obj.list_type != ListType.BLACK:
        errors["kind"] = ["信用修复只适用于失信名单"]
    if obj.appeals.filter(status=AppealStatus.PENDING).exists():
        errors["entry"] = ["已有待处理的申请"]
    text = _text(text, "text", "申请理由", errors, 2000)
    _raise(errors)
    ap = CreditAppeal.objects.create(entry=obj, kind=kind, text=text, submitted_by=user, submitted_on=today())
    record(user, "credit_appeal", ap, after={"entry": obj.pk, "kind": kind})
    return ap


@transaction.atomic
def appeal_decide(user: Any, appeal: CreditAppeal, accept: bool, decision: str) -> CreditAppeal:
    """Decided by a city official with ``approve`` on credit; a repair needs its conditions met."""
    _require(user, "credit", "approve", "无权处理信用异议或修复申请")
    ap = CreditAppeal.objects.for_user(user, "approve").select_for_update().filter(pk=appeal.pk).first()
    if ap is None:
        raise PermissionDenied(OUT_OF_SCOPE)
    errors: dict[str, list[str]] = {}
    if ap.status != AppealStatus.PENDING:
        errors["status"] = ["申请已处理"]
    decision = _text(decision, "decision", "处理意见", errors, 2000)
    entry = ap.entry
    on = today()
    if accept and ap.kind == AppealKind.REPAIR and not errors:
        subject = entry.subject
        open_rects = Rectification.objects.filter(institution=subject).exclude(
            status=RectificationStatus.CLOSED).count() if entry.institution_id else 0
        refusals = C.repair_refusals(credit_config(), rule=entry.rule, entered_on=entry.entered_on, on=on,
                                     open_rectifications=open_rects)
        if refusals:
            errors["accept"] = refusals
    _raise(errors)
    ap.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    ap.decided_by, ap.decided_on, ap.decision = user, on, decision
    ap.save()
    if accept:
        entry.status = EntryStatus.REVOKED if ap.kind == AppealKind.OBJECTION else EntryStatus.EXITED
        entry.exited_on, entry.exit_reason = on, ("异议成立：" if ap.kind == AppealKind.OBJECTION else "信用修复：") + decision[:280]
        entry.save(update_fields=["status", "exited_on", "exit_reason", "updated_at"])
        record(user, "credit_list_exit", entry, after={"status": entry.status, "on": on.isoformat()}, reason=decision)
    record(user, "credit_appeal_decide", ap, after={"status": ap.status}, reason=decision)
    return ap


@transaction.atomic
def expire_list_entries(on: dt.date | None = None) -> int:
    on = on or today()
    n = 0
    for e in CreditListEntry.objects.select_for_update().filter(status=EntryStatus.ACTIVE, expires_on__lte=on):
        e.status, e.exited_on, e.exit_reason = EntryStatus.EXITED, on, "期满移出"
        e.save(update_fields=["status", "exited_on", "exit_reason", "updated_at"])
        record(None, "credit_list_exit", e, after={"status": e.status, "on": on.isoformat()}, reason=SYSTEM)
        n += 1
    return n


# ---------------------------------------------------------------------------------------------------
# complaints


def complaint_number(on: dt.date) -> str:
    last = Complaint.objects.filter(number__startswith=f"TS{on.year}").order_by("-number").values_list(
        "number", flat=True).first()
    seq = int(last[6:]) + 1 if last else 1
    return f"TS{on.year}{seq:05d}"


@transaction.atomic
def complaint_intake(user: Any, data: Mapping[str, Any]) -> Complaint:
    """受理投诉: routed to the region of the institution complained about (its county sees it), due in
    ``complaint_workdays`` working days."""
    _require(user, "complaint", "add", "无权受理投诉")
    errors: dict[str, list[str]] = {}
    channel = data.get("channel") or ""
    from .models import Channel

    if channel not in Channel.values:
        errors["channel"] = ["请选择受理渠道"]
    received = data.get("received_on") or today()
    _not_future(received, "received_on", "受理日期", errors)
    summary = _text(data.get("summary"), "summary", "投诉内容", errors, 4000)
    category = _text(data.get("category"), "category", "投诉类别", errors, 30)
    anonymous = bool(data.get("anonymous"))
    name = "" if anonymous else _text(data.get("complainant_name"), "complainant_name", "投诉人姓名", errors, 50,
                                      required=False)
    phone = "" if anonymous else str(data.get("complainant_phone") or "").strip()
    if phone:
        try:
            phone = validate_phone(phone)
        except ValidationError as e:
            errors["complainant_phone"] = list(e.messages)
    inst = None
    if data.get("institution"):
        inst = Institution.objects.for_user(user, "view").filter(pk=getattr(data["institution"], "pk",
                                                                             data["institution"])).first()
        if inst is None:
            errors["institution"] = ["机构不存在或不在您的管辖范围内"]
    region = None
    if inst is not None:
        region = inst.region
        domain = domain_of_kind(inst.kind)
    else:
        region = _region_in_scope(user, data.get("region"), errors)
        domain = data.get("domain") or ""
        if domain not in Domain.values:
            errors["domain"] = ["未指明机构时请选择领域"]
    _raise(errors)
    assert region is not None
    due = calendar().deadline(received, cfg("complaint_workdays"), provisional=True)
    c = Complaint.objects.create(
        number=complaint_number(received), channel=channel, received_on=received, received_by=user,
        anonymous=anonymous, complainant_name=name, complainant_phone_enc=crypto.encrypt_field(phone),
        institution=inst, region=region, domain=domain, category=category, summary=summary,
        due_on=due.on, due_provisional=due.provisional)
    ensure_in_scope(c, user, "add")
    record(user, "complaint_intake", c, after={"number": c.number, "channel": channel, "institution": getattr(inst, "pk", None),
                                               "region": region.code, "due_on": due.on.isoformat()})
    return c


@transaction.atomic
def complaint_investigate(user: Any, complaint: Complaint, inspectors: Iterable[Any] = ()) -> Complaint:
    """核查: optionally send inspectors (a 投诉核查 inspection of the institution)."""
    c = _lock(Complaint, user, "change", complaint)
    if c.status == ComplaintStatus.CLOSED:
        raise Conflict({"status": ["投诉已办结"]})
    ids = [getattr(i, "pk", i) for i in inspectors]
    if ids:
        if c.institution is None:
            raise ValidationError({"inspectors": ["未指明被投诉机构，不能派检"]})
        c.inspection = reinspection_create(user, c.institution, ids, kind=InspectionKind.COMPLAINT,
                                           reason=f"投诉 {c.number} 核查")
    before = c.status
    c.status = ComplaintStatus.INVESTIGATING
    c.save(update_fields=["status", "inspection", "updated_at"])
    record(user, "complaint_investigate", c, before={"status": before},
           after={"status": c.status, "inspection": c.inspection_id})
    return c


@transaction.atomic
def complaint_close(user: Any, complaint: Complaint, outcome: str, text: str, on: dt.date | None = None) -> Complaint:
    """办结: a complaint found true goes into the institution's credit file (and forces it into the next draw)."""
    c = _lock(Complaint, user, "change", complaint)
    errors: dict[str, list[str]] = {}
    if c.status == ComplaintStatus.CLOSED:
        errors["status"] = ["投诉已办结"]
    if outcome not in ComplaintOutcome.values:
        errors["outcome"] = ["请选择核查结论"]
    text = _text(text, "outcome_text", "处理结果", errors, 4000)
    on = on or today()
    _not_future(on, "closed_on", "办结日期", errors)
    if on < c.received_on:
        errors["closed_on"] = ["办结日期不能早于受理日期"]
    _raise(errors)
    c.outcome, c.outcome_text, c.closed_on, c.status = outcome, text, on, ComplaintStatus.CLOSED
    c.save(update_fields=["outcome", "outcome_text", "closed_on", "status", "updated_at"])
    if outcome in (ComplaintOutcome.UPHELD, ComplaintOutcome.PARTLY) and c.institution is not None:
        credit_event_system(c.institution, "complaint_upheld", on, note=f"投诉 {c.number} 经查{c.get_outcome_display()}",
                            source=f"complaint:{c.pk}", actor=user)
    record(user, "complaint_close", c, after={"outcome": outcome, "closed_on": on.isoformat(),
                                              "on_time": on <= c.due_on})
    return c


# ---------------------------------------------------------------------------------------------------
# emergencies


def _initial_level(severity: str) -> str:
    return cfg("incident_initial_level")[severity]


@transaction.atomic
def incident_report(user: Any, data: Mapping[str, Any]) -> Incident:
    """突发事件报告, by the institution's operator or an officer; the first report level follows severity."""
    _require(user, "incident", "add", "无权报告突发事件")
    from .models import IncidentSeverity, IncidentType

    errors: dict[str, list[str]] = {}
    inst = Institution.objects.for_user(user, "view").filter(pk=getattr(data.get("institution"), "pk",
                                                                         data.get("institution"))).first()
    if inst is None:
        errors["institution"] = ["机构不存在或不在您的管辖范围内"]
    if data.get("type") not in IncidentType.values:
        errors["type"] = ["请选择事件类型"]
    if str(data.get("severity")) not in IncidentSeverity.values:
        errors["severity"] = ["请选择事件等级"]
    now = timezone.now()
    occurred = data.get("occurred_at") or now
    if occurred > now + dt.timedelta(minutes=5):
        errors["occurred_at"] = ["发生时间不能晚于当前时间"]
    description = _text(data.get("description"), "description", "事件经过", errors, 4000)
    counts = {}
    for f, label in (("people_affected", "涉及人数"), ("injured", "受伤人数"), ("deaths", "死亡人数")):
        try:
            counts[f] = int(data.get(f) or 0)
            if counts[f] < 0:
                raise ValueError
        except (TypeError, ValueError):
            errors[f] = [f"{label}应为不小于 0 的整数"]
    _raise(errors)
    assert inst is not None
    sev = str(data["severity"])
    inc = Incident.objects.create(institution=inst, region_id=inst.region_id, domain=domain_of_kind(inst.kind),
                                  type=data["type"], severity=sev, occurred_at=occurred, reported_at=now,
                                  reported_by=user, description=description, level=_initial_level(sev), **counts)
    IncidentLog.objects.create(incident=inc, at=now, by=user, kind=IncidentLog.Kind.REPORT,
                               text=f"报告{inc.get_severity_display()}{inc.get_type_display()}，报至{inc.get_level_display()}")
    ensure_in_scope(inc, user, "add")
    record(user, "incident_report", inc, after={"type": inc.type, "severity": sev, "level": inc.level,
                                                "people_affected": inc.people_affected, "deaths": inc.deaths})
    return inc


@transaction.atomic
def incident_log_add(user: Any, incident: Incident, text: str) -> IncidentLog:
    inc = _lock(Incident, user, "change", incident)
    errors: dict[str, list[str]] = {}
    if inc.status == IncidentStatus.CLOSED:
        errors["status"] = ["事件已结案"]
    text = _text(text, "text", "处置情况", errors, 2000)
    _raise(errors)
    log = IncidentLog.objects.create(incident=inc, at=timezone.now(), by=user, kind=IncidentLog.Kind.ACTION, text=text)
    record(user, "incident_log", inc, after={"log": log.pk})
    return log


@transaction.atomic
def escalate_incidents(now: dt.datetime | None = None) -> int:
    """Open incidents move one level up after the configured hours at their level (county 24 h, city 72 h)."""
    now = now or timezone.now()
    hours = cfg("incident_escalate_hours")
    n = 0
    for inc in Incident.objects.select_for_update().filter(status=IncidentStatus.OPEN).exclude(
            level=IncidentLevel.PROVINCE):
        since = inc.escalated_at or inc.reported_at
        limit = hours.get(inc.level)
        if limit is None or now - since < dt.timedelta(hours=limit):
            continue
        before = inc.level
        inc.level = LEVEL_ORDER[LEVEL_ORDER.index(IncidentLevel(inc.level)) + 1]
        inc.escalated_at = now
        inc.save(update_fields=["level", "escalated_at", "updated_at"])
        IncidentLog.objects.create(incident=inc, at=now, by=None, kind=IncidentLog.Kind.ESCALATE,
                                   text=f"超过 {limit} 小时未结案，由{IncidentLevel(before).label}升级至{inc.get_level_display()}")
        record(None, "incident_escalate", inc, before={"level": before}, after={"level": inc.level}, reason=SYSTEM)
        n += 1
    return n


@transaction.atomic
def incident_close(user: Any, incident: Incident, summary: str, liability: bool = False,
                   at: dt.datetime | None = None) -> Incident:
    """结案; when the institution bears liability, the credit event may put it on the black list."""
    inc = _lock(Incident, user, "change", incident)
    if getattr(user, "role", "") == "operator":
        raise PermissionDenied("事件结案由主管部门办理")
    errors: dict[str, list[str]] = {}
    if inc.status == IncidentStatus.CLOSED:
        errors["status"] = ["事件已结案"]
    summary = _text(summary, "closure_summary", "处置结果", errors, 4000)
    at = at or timezone.now()
    if at < inc.reported_at:
        errors["closed_at"] = ["结案时间不能早于报告时间"]
    _raise(errors)
    inc.status, inc.closed_at, inc.closure_summary, inc.liability = IncidentStatus.CLOSED, at, summary, liability
    inc.save(update_fields=["status", "closed_at", "closure_summary", "liability", "updated_at"])
    IncidentLog.objects.create(incident=inc, at=at, by=user, kind=IncidentLog.Kind.CLOSE, text=summary[:2000])
    if liability:
        credit_event_system(inc.institution, "liability_incident", timezone.localdate(at),
                            note=f"{inc.get_type_display()}（{inc.get_severity_display()}）", source=f"incident:{inc.pk}",
                            actor=user)
    record(user, "incident_close", inc, after={"closed_at": at.isoformat(), "liability": liability,
                                               "hours": inc.handling_hours})
    return inc


@transaction.atomic
def incident_relocate(user: Any, incident: Incident, *, person_kind: str, person: Any, to: Any,
                      on: dt.date | None = None, reason: str = "") -> Relocation:
    """转移安置: end the stay at the incident's institution and admit/enrol at ``to`` (an institution for an
    older person, a childcare class for a child) through the people services and their capacity rules."""
    from ylyx.people import services as people
    from ylyx.people.models import Enrolment, Residence

    inc = _lock(Incident, user, "change", incident)
    if inc.status == IncidentStatus.CLOSED:
        raise Conflict({"status": ["事件已结案"]})
    on = on or today()
    why = reason or f"突发事件转移安置（{inc.get_type_display()}）"
    if person_kind == "elderly":
        stay = Residence.objects.for_user(user, "change").filter(
            person_id=getattr(person, "pk", person), institution_id=inc.institution_id, ended_on__isnull=True).first()
        if stay is None:
            raise ValidationError({"person": ["该老年人当前不在事发机构入住"]})
        target = to if isinstance(to, Institution) else Institution.objects.for_user(user, "view").filter(pk=to).first()
        if target is None:
            raise ValidationError({"to": ["安置机构不存在或不在您的管辖范围内"]})
        if target.pk == inc.institution_id:
            raise ValidationError({"to": ["安置机构不能是事发机构"]})
        people.discharge(user, stay, on, why)
        people.admit(user, stay.person, target, stay.bed_type, on, why)
        to_inst = target
    elif person_kind == "infant":
        stay_e = Enrolment.objects.for_user(user, "change").filter(
            infant_id=getattr(person, "pk", person), institution_id=inc.institution_id, ended_on__isnull=True).first()
        if stay_e is None:
            raise ValidationError({"person": ["该婴幼儿当前不在事发机构入托"]})
        klass = to if isinstance(to, ChildcareClass) else ChildcareClass.objects.for_user(user, "view").filter(pk=to).first()
        if klass is None:
            raise ValidationError({"to": ["安置班级不存在或不在您的管辖范围内"]})
        if klass.institution_id == inc.institution_id:
            raise ValidationError({"to": ["安置机构不能是事发机构"]})
        people.withdraw(user, stay_e, on, why)
        people.enrol(user, stay_e.infant, klass, on, why)
        to_inst = klass.institution
    else:
        raise ValidationError({"person_kind": ["请选择老年人或婴幼儿"]})
    pid = getattr(person, "pk", person)
    rel = Relocation.objects.create(incident=inc, person_kind=person_kind, person_id=pid, to_institution=to_inst,
                                    on=on, by=user)
    IncidentLog.objects.create(incident=inc, at=timezone.now(), by=user, kind=IncidentLog.Kind.RELOCATE,
                               text=f"转移安置 1 名{'老年人' if person_kind == 'elderly' else '婴幼儿'}至{to_inst.name}")
    record(user, "incident_relocate", inc, after={"person_kind": person_kind, "person": pid, "to": to_inst.pk,
                                                  "on": on.isoformat()})
    return rel


# ---------------------------------------------------------------------------------------------------
# deadlines computed before a year's holidays were known


@transaction.atomic
def recompute_provisional_deadlines() -> dict[str, int]:
    """Recompute every deadline marked provisional, now that the supplement table may cover its year."""
    cal = calendar()
    out = {"inspections": 0, "complaints": 0, "still_provisional": 0}
    for insp in Inspection.objects.select_for_update().filter(publish_due_provisional=True,
                                                                inspected_on__isnull=False):
        dl = cal.deadline(insp.inspected_on, cfg("publish_within_workdays"), provisional=True)
        if dl.provisional:
            out["still_provisional"] += 1
        before = insp.publish_due
        insp.publish_due, insp.publish_due_provisional = dl.on, dl.provisional
        insp.save(update_fields=["publish_due", "publish_due_provisional", "updated_at"])
        record(None, "deadline_recompute", insp, before={"publish_due": before.isoformat() if before else None},
               after={"publish_due": dl.on.isoformat(), "provisional": dl.provisional}, reason=SYSTEM)
        out["inspections"] += 1
    for c in Complaint.objects.select_for_update().filter(due_provisional=True):
        dl = cal.deadline(c.received_on, cfg("complaint_workdays"), provisional=True)
        if dl.provisional:
            out["still_provisional"] += 1
        before = c.due_on
        c.due_on, c.due_provisional = dl.on, dl.provisional
        c.save(update_fields=["due_on", "due_provisional", "updated_at"])
        record(None, "deadline_recompute", c, before={"due_on": before.isoformat()},
               after={"due_on": dl.on.isoformat(), "provisional": dl.provisional}, reason=SYSTEM)
        out["complaints"] += 1
    return out
