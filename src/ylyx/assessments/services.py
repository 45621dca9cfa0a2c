"""Assessment operations, each one transaction: start, answer item by item, submit, second signature,
re-assessment on a change of condition, legacy import. Rights are checked here, not only in views."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core.errors import Conflict
from ylyx.core.permissions import allows
from ylyx.core.scoping import ensure_in_scope

from . import config, scoring
from .models import Assessment, AssessorQualification, Reason, Standard, Status

LEGACY_LEVELS = {"能力完好": 0, "轻度失能": 1, "中度失能": 2, "重度失能": 3}


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def qualification(user: Any, on: dt.date, region_code: str) -> AssessorQualification | None:
    """The user's valid qualification covering ``region_code`` on ``on`` (region prefix), or None."""
    for q in AssessorQualification.objects.unscoped("the user's own qualifications").filter(
            user=user, revoked=False, valid_from__lte=on, valid_to__gte=on).select_related("region"):
        if region_code.startswith(q.region.prefix):
            return q
    return None


def _require(user: Any, action: str) -> None:
    if not allows(getattr(user, "role", ""), "assessment", action):  # type: ignore[arg-type]
        raise PermissionDenied("无权进行能力评估操作")


def _require_qualified(user: Any, a: Assessment, who: str) -> None:
    if qualification(user, a.assessed_on, a.region_id) is None:
        raise PermissionDenied(f"{who}没有在评估日期有效、覆盖该区划的评估员资格")


@transaction.atomic
def start(user: Any, person: Any, *, assessed_on: dt.date | None = None, reason: str = Reason.INITIAL,
          institution: Any = None) -> Assessment:
    _require(user, "add")
    ensure_in_scope(person, user, "view")
    if not person.is_active:
        raise Conflict("该老年人已去世或迁出，不能新建评估")
    if reason not in Reason.values or reason == Reason.LEGACY:
        raise ValidationError({"reason": "评估原因无效"})
    on = assessed_on or timezone.localdate()
    if institution is None:
        res = person.residences.filter(ended_on__isnull=True).select_related("institution").first()
        institution = res.institution if res else None
    a = Assessment(person=person, region_id=person.region_id, institution=institution, reason=reason,
                   assessed_on=on, first_assessor=user)
    _require_qualified(user, a, "评估员一")
    a.save()
    ensure_in_scope(a, user, "add")
    record(user, "assessment_start", a, detail={"person": person.pk, "reason": reason})
    return a


def _lock(a: Assessment) -> Assessment:
    return Assessment.objects.unscoped("re-read of a record the caller holds in scope").select_for_update().get(pk=a.pk)


@transaction.atomic
def save_answers(user: Any, a: Assessment, answers: dict[str, int], *, coma: bool | None = None,
                 dementia: bool | None = None, psychiatric: bool | None = None,
                 risk_events: dict[str, int] | None = None) -> Assessment:
    """Store some answers (item by item, from a tablet); the progress moves to the first unanswered item."""
    _require(user, "change")
    ensure_in_scope(a, user, "change")
    a = _lock(a)
    if a.status != Status.DRAFT:
        raise Conflict("评估已提交，不能再修改各项得分")
    if user.pk != a.first_assessor_id:
        raise PermissionDenied("只有发起评估的评估员可以填写各项得分")
    errors = scoring.validate(answers, partial=True)
    if errors:
        raise ValidationError(errors)
    risk = dict(a.risk_events)
    for key, value in (risk_events or {}).items():
        if key not in dict(scoring.RISK_EVENTS) or not isinstance(value, int) or not 0 <= value <= 3:
            raise ValidationError({"risk_events": f"照护风险事件“{key}”的次数应为 0—3"})
        risk[key] = value
    a.answers = {**a.answers, **answers}
    a.risk_events = risk
    for name, flag in (("coma", coma), ("dementia", dementia), ("psychiatric", psychiatric)):
        if flag is not None:
            setattr(a, name, bool(flag))
    codes = [i.code for i in scoring.ITEMS]
    a.progress = next((n for n, c in enumerate(codes) if c not in a.answers), len(codes))
    a.save()
    return a


def _apply(a: Assessment) -> None:
    cond = scoring.Conditions(coma=a.coma, dementia=a.dementia, psychiatric=a.psychiatric,
                              risk_events=dict(a.risk_events))
    try:
        res = scoring.score(dict(a.answers), cond, config.scoring_config())
    except scoring.AnswerError as e:  # incomplete or invalid answers: the record's state forbids submitting
        raise Conflict(e.errors) from e
    a.self_care, a.motor = res.scores["self_care"], res.scores["motor"]
    a.mental, a.perception = res.scores["mental"], res.scores["perception"]
    a.total, a.preliminary_level, a.level = res.total, res.preliminary_level, res.level
    a.change_reasons = list(res.reasons)


@transaction.atomic
def submit(user: Any, a: Assessment) -> Assessment:
    _require(user, "change")
    ensure_in_scope(a, user, "change")
    a = _lock(a)
    if a.status != Status.DRAFT:
        raise Conflict("评估不在评估中状态")
    if user.pk != a.first_assessor_id:
        raise PermissionDenied("只有发起评估的评估员可以提交")
    _apply(a)
    a.status = Status.SUBMITTED if int(config.get("assessors_required")) > 1 else Status.COMPLETED
    if a.status == Status.COMPLETED:
        _complete(a)
    a.save()
    record(user, "assessment_submit", a, after={"total": a.total, "level": a.level})
    return a


def _complete(a: Assessment) -> None:
    a.completed_at = timezone.now()
    a.next_due = add_months(a.assessed_on, int(config.get("reassess_months")))


@transaction.atomic
def sign(user: Any, a: Assessment) -> Assessment:
    """The second assessor's signature: another qualified assessor confirms the scores; the result counts."""
    _require(user, "change")
    ensure_in_scope(a, user, "change")
    a = _lock(a)
    if a.status != Status.SUBMITTED:
        raise Conflict("评估尚未提交或已完成")
    if user.pk == a.first_assessor_id:
        raise Conflict("第二评估员不能与第一评估员为同一人")
    _require_qualified(user, a, "评估员二")
    a.second_assessor = user
    a.status = Status.COMPLETED
    _complete(a)
    a.save()
    # earlier completed assessments of the person no longer trigger re-assessment reminders
    Assessment.objects.unscoped("the same person's history, person checked in scope").filter(
        person_id=a.person_id, status=Status.COMPLETED, assessed_on__lte=a.assessed_on).exclude(pk=a.pk).update(
        next_due=None)
    record(user, "assessment_complete", a, after={"total": a.total, "level": a.level,
                                                   "reasons": a.change_reasons})
    return a


@transaction.atomic
def return_to_first(user: Any, a: Assessment, reason: str) -> Assessment:
    """The second assessor disagrees: back to the first assessor, with the reason."""
    _require(user, "change")
    ensure_in_scope(a, user, "change")
    a = _lock(a)
    if a.status != Status.SUBMITTED:
        raise Conflict("只有待确认的评估可以退回")
    if not reason.strip():
        raise ValidationError({"reason": "请填写退回理由"})
    a.status = Status.DRAFT
    a.save()
    record(user, "assessment_return", a, reason=reason)
    return a


@transaction.atomic
def report_condition_change(user: Any, person: Any, reason: str) -> Assessment | None:
    """A change of condition (illness, fall, discharge from hospital): the re-assessment is due today."""
    _require(user, "change")
    ensure_in_scope(person, user, "view")
    if not reason.strip():
        raise ValidationError({"reason": "请说明状况变化"})
    cur = (Assessment.objects.unscoped("the person's own history, person checked in scope")
           .filter(person=person, status=Status.COMPLETED, is_legacy=False).order_by("-assessed_on", "-id").first())
    if cur is None:
        return None
    cur.next_due = timezone.localdate()
    cur.note = f"状况变化：{reason}"[:200]
    cur.save(update_fields=["next_due", "note", "updated_at"])
    record(user, "assessment_condition_change", cur, reason=reason)
    return cur


@transaction.atomic
def import_legacy(user: Any, rows: Iterable[dict[str, Any]]) -> list[Assessment]:
    """MZ/T 039-2013 results (person, date, 结论 such as 轻度失能): kept, marked as legacy, never current.

    Validate-then-commit: any bad row raises with its row number and nothing is written.
    """
    _require(user, "import")
    out, errors = [], []
    for n, row in enumerate(rows, start=1):
        person, on, result = row.get("person"), row.get("assessed_on"), str(row.get("result", "")).strip()
        if person is None:
            errors.append(f"第{n}行：老年人不存在或不在您的管辖范围内")
            continue
        if not isinstance(on, dt.date):
            errors.append(f"第{n}行：评估日期无效")
            continue
        if result not in LEGACY_LEVELS:
            errors.append(f"第{n}行：评估结论应为 {'、'.join(LEGACY_LEVELS)} 之一")
            continue
        ensure_in_scope(person, user, "view")
        out.append(Assessment(person=person, region_id=person.region_id, standard=Standard.MZT039, is_legacy=True,
                              reason=Reason.LEGACY, status=Status.COMPLETED, assessed_on=on, legacy_result=result,
                              total=row.get("total"), completed_at=timezone.now(),
                              note=str(row.get("note", ""))[:200]))
    if errors:
        raise ValidationError(errors)
    Assessment.objects.bulk_create(out)
    record(user, "assessment_import_legacy", None, detail={"rows": len(out)})
    return out


def current_levels(on: dt.date, person_ids: Iterable[int] | None = None, prefix: str = "") -> dict[int, int]:
    """person id → level of the latest completed GB/T 42195 assessment on or before ``on`` (a system read
    for engines and batches; callers scope the persons)."""
    from ylyx.core.scoping import prefix_q

    qs = Assessment.objects.unscoped("engine read: callers scope the persons").filter(
        status=Status.COMPLETED, is_legacy=False, assessed_on__lte=on, level__isnull=False)
    if prefix:
        qs = qs.filter(prefix_q("region_id", prefix))
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    sql, params = qs.order_by("assessed_on", "id").values_list("person_id", "level").query.sql_with_params()
    from django.db import connection

    with connection.cursor() as cur:  # plain tuples: this runs over every assessment of a city
        cur.execute(sql, params)
        return {pid: level for pid, level in cur.fetchall()}
