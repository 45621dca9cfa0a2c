"""探访关爱 operations, each one transaction: rules, month generation, assignment, visits, follow-ups."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core.permissions import allows
from ylyx.core.scoping import ensure_in_scope, prefix_q
from ylyx.people.models import ElderlyPerson, Residence
from ylyx.regions.models import PREFIX_LEN, Region, level_of

from . import rules as R
from .models import (
    FOLLOW_UP_FOR_RISK,
    FollowUp,
    FollowUpStatus,
    Mode,
    Risk,
    TaskStatus,
    Visit,
    VisitorArea,
    VisitRule,
    VisitTask,
)

SYSTEM = "generation reads every person of the rule's region; the caller checked the region is in scope"
FOLLOW_UP_DAYS = 15


def pfx(code: str) -> str:
    """The region-code prefix of a region's subtree (by its level, not by trailing zeros)."""
    return code[: PREFIX_LEN[level_of(code)]]


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def as_rule(r: VisitRule) -> R.Rule:
    return R.Rule(frozenset(r.living_situations), frozenset(r.economic_statuses), frozenset(r.disability_grades),
                  r.special_family, r.age_always, r.min_age)


def _check(user: Any, action: str, region_code: str) -> None:
    if user is not None and (not allows(user.role, "visit", action)  # type: ignore[arg-type]
                             or not region_code.startswith(user.region_prefix or "\x00")):
        raise PermissionDenied("超出您的管辖范围或权限，操作未保存")


@transaction.atomic
def save_rule(user: Any, *, region: Region, name: str, instance: VisitRule | None = None, **fields: Any) -> VisitRule:
    """Create or change a region's rule (one active rule per region; a narrower region's rule wins)."""
    _check(user, "change" if instance else "add", region.code)
    if not name.strip():
        raise ValidationError({"name": "请填写规则名称"})
    rule = instance or VisitRule(region=region)
    before = None if instance is None else {"name": instance.name, "living": instance.living_situations,
                                            "economic": instance.economic_statuses}
    rule.region, rule.name = region, name.strip()
    for k, v in fields.items():
        setattr(rule, k, v)
    if not 1 <= rule.due_day <= 28:
        raise ValidationError({"due_day": "当月完成日须在 1–28 之间"})
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        raise ValidationError({"region": "该区划已有启用的探访规则，请修改原规则"}) from exc
    record(user, "visit_rule_saved", rule, before=before,
           after={"name": rule.name, "living": rule.living_situations, "economic": rule.economic_statuses,
                  "disability": rule.disability_grades, "special_family": rule.special_family,
                  "min_age": rule.min_age, "age_always": rule.age_always})
    return rule


def _insert_select(person_sql: str, params: list, constants: list) -> int:
    """INSERT … SELECT the persons' (id, region) with constant columns; existing (person, month) rows stay."""
    table = VisitTask._meta.db_table
    sql = (f"INSERT INTO {table} (person_id, region_id, month, rule_id, due_on, required, done_count, status, "  # noqa: S608
           f"created_at) SELECT p.id, p.region_id, %s, %s, %s, %s, 0, %s, %s FROM ({person_sql}) p WHERE 1=1 "
           f"ON CONFLICT (person_id, month) DO NOTHING")
    with connection.cursor() as cur:
        cur.execute(sql, [*constants, *params])
        return cur.rowcount


@transaction.atomic
def generate_month(user: Any, region: Region, month: dt.date, *, assign: bool = True) -> dict[str, int]:
    """All visit tasks of ``month`` under ``region``, set-based: one INSERT … SELECT per applicable rule.

    Rules are applied narrowest region first and each excludes the regions of narrower rules inside it,
    so every person is judged by the rule of their nearest region. Running it again adds only persons who
    became due since (the (person, month) key is unique). Then unassigned tasks go to the visitor of the
    nearest area (:func:`assign_month`).
    """
    _check(user, "add", region.code)
    first, last = month_start(month), month_end(month)
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    rules = list(VisitRule.objects.unscoped(SYSTEM).filter(active=True).order_by("-region_id"))
    here = pfx(region.code)
    applicable = [r for r in rules if here.startswith(pfx(r.region_id)) or r.region_id.startswith(here)]
    applicable.sort(key=lambda r: len(pfx(r.region_id)), reverse=True)
    in_institution = Residence.objects.unscoped(SYSTEM).filter(ended_on__isnull=True).values("person_id")
    created = 0
    for i, rule in enumerate(applicable):
        rule_prefix = pfx(rule.region_id)
        scope = here if len(here) > len(rule_prefix) else rule_prefix
        cond = R.q(as_rule(rule), last)
        if cond is None:
            continue
        qs = (ElderlyPerson.objects.unscoped(SYSTEM).filter(prefix_q("region_id", scope), cond)
              .filter(died_on__isnull=True, moved_out_on__isnull=True))
        if rule.exclude_in_institution:
            qs = qs.exclude(pk__in=in_institution)
        for narrower in applicable[:i]:
            n = pfx(narrower.region_id)
            if n.startswith(rule_prefix) and n != rule_prefix:
                qs = qs.exclude(prefix_q("region_id", n))
        sql, params = qs.order_by().values_list("id", "region_id").query.sql_with_params()
        due = first.replace(day=min(rule.due_day, last.day))
        created += _insert_select(sql, list(params), [ops.adapt_datefield_value(first), rule.pk,
                                                      ops.adapt_datefield_value(due), rule.visits_per_month,
                                                      TaskStatus.PENDING, now])
    assigned = assign_month(None, region, first) if assign else 0
    record(user, "visit_tasks_generated", region, detail={"month": first.isoformat(), "created": created,
                                                          "assigned": assigned})
    return {"created": created, "assigned": assigned}


def assign_month(user: Any, region: Region, month: dt.date) -> int:
    """Give unassigned tasks of the month to the visitor of the nearest responsibility area (one UPDATE per area)."""
    here = pfx(region.code)
    areas = sorted(VisitorArea.objects.unscoped(SYSTEM).filter(prefix_q("region_id", here) | Q(
        region_id__in=_ancestors(region.code))), key=lambda a: len(pfx(a.region_id)), reverse=True)
    n = 0
    for a in areas:
        scope = max(pfx(a.region_id), here, key=len)
        n += (VisitTask.objects.unscoped(SYSTEM).filter(prefix_q("region_id", scope), month=month,
                                                        assignee__isnull=True).update(assignee=a.visitor_id))
    return n


def _ancestors(code: str) -> list[str]:
    cuts = (2, 4, 6, 9)
    return [code[:c].ljust(12, "0") for c in cuts if code[:c].ljust(12, "0") != code]


def clean_visit(data: dict) -> dict:
    """Validate a visit's fields (form, API or offline queue) and return them typed; errors name the field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    raw_uuid = data.get("client_uuid") or str(uuid.uuid4())
    try:
        out["client_uuid"] = uuid.UUID(str(raw_uuid))
    except ValueError:
        errors["client_uuid"] = "客户端编号格式不正确"
    raw_day = data.get("visited_on")
    try:
        day = raw_day if isinstance(raw_day, dt.date) else dt.date.fromisoformat(str(raw_day))
        if day > timezone.localdate():
            errors["visited_on"] = "探访日期不能晚于今天"
        out["visited_on"] = day
    except (TypeError, ValueError):
        errors["visited_on"] = "请填写正确的探访日期（YYYY-MM-DD）"
    mode = data.get("mode") or Mode.HOME
    if mode not in Mode.values:
        errors["mode"] = "探访方式须为入户、电话或视频"
    out["mode"] = mode
    for f, label in (("health", "健康状况"), ("safety", "安全状况"), ("living", "生活状况"), ("needs", "需求")):
        v = str(data.get(f) or "").strip()
        if len(v) > 300:
            errors[f] = f"{label}不超过 300 字"
        out[f] = v
    risks = data.get("risks") or []
    if isinstance(risks, str):
        risks = [x for x in risks.split(",") if x]
    if not isinstance(risks, list) or any(r not in Risk.values for r in risks):
        errors["risks"] = "风险项不正确"
        risks = []
    out["risks"] = sorted(set(risks))
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def record_visit(user: Any, task: VisitTask, data: dict, *, offline: bool = False) -> tuple[Visit, bool]:
    """Store a visit of ``task`` exactly once per client UUID; returns (visit, created).

    A resend of the same UUID (a phone that lost the answer) returns the stored visit unchanged. Risks open
    follow-ups; the task counts the visit and is done when its required visits are in.
    """
    clean = clean_visit(data)
    existing = Visit.objects.unscoped("idempotency lookup by the client's UUID").filter(
        client_uuid=clean["client_uuid"]).first()
    if existing is not None:
        if existing.visitor_id != getattr(user, "pk", None):
            raise PermissionDenied("该记录已由其他人员提交")
        return existing, False
    task = VisitTask.objects.select_for_update().get(pk=task.pk)  # lock: done_count is counted once
    ensure_in_scope(task, user, "change")
    if clean["visited_on"].replace(day=1) != task.month:
        raise ValidationError({"visited_on": f"探访日期须在任务月份（{task.month:%Y-%m}）内"})
    try:
        with transaction.atomic():
            visit = Visit.objects.create(task=task, person_id=task.person_id, region_id=task.region_id, visitor=user,
                                         synced_offline=offline, **clean)
    except IntegrityError:  # the same UUID arrived concurrently: the other request stored it
        return Visit.objects.unscoped("idempotency").get(client_uuid=clean["client_uuid"]), False
    VisitTask.objects.unscoped("task locked above").filter(pk=task.pk).update(done_count=F("done_count") + 1)
    task.refresh_from_db()
    if task.done_count >= task.required and task.status == TaskStatus.PENDING:
        task.status = TaskStatus.DONE
        task.save(update_fields=["status"])
    kinds = sorted({FOLLOW_UP_FOR_RISK[r] for r in visit.risks})
    for kind in kinds:
        reasons = "、".join(Risk(r).label for r in visit.risks if FOLLOW_UP_FOR_RISK[r] == kind)
        FollowUp.objects.create(visit=visit, person_id=visit.person_id, region_id=visit.region_id, kind=kind,
                                reason=reasons, due_on=visit.visited_on + dt.timedelta(days=FOLLOW_UP_DAYS))
    record(user, "visit_recorded", visit, detail={"task": task.pk, "risks": visit.risks, "offline": offline})
    return visit, True


@transaction.atomic
def close_followup(user: Any, followup: FollowUp, result: str) -> FollowUp:
    ensure_in_scope(followup, user, "change")
    if not result.strip():
        raise ValidationError({"result": "请填写处理结果"})
    if followup.status == FollowUpStatus.CLOSED:
        raise ValidationError({"result": "该跟进事项已办结"})
    followup.status, followup.result, followup.closed_on = FollowUpStatus.CLOSED, result.strip(), timezone.localdate()
    followup.save(update_fields=["status", "result", "closed_on"])
    record(user, "visit_followup_closed", followup, after={"result": followup.result})
    return followup
