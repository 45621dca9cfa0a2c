"""Export jobs (security.md PI-6, SEC-RI-2, SEC-AUD-1): request, approve or reject, generate, download, expire.

* ``request_export`` re-evaluates the list as the requester, counts it and applies ``export_policy``: a
  stated reason for personal data, and a second person's approval above the threshold and for minors.
* ``decide`` is that approval: by a user with ``export``/``approve`` whose region subtree holds the
  requester's region and who may export the resource, never the requester.
* ``generate`` (the task) re-evaluates the list page's own scoped, filtered queryset AS THE REQUESTER, writes
  its columns (masked exactly as the page's export) to a watermarked workbook in the private area, with
  progress on the job row, and sets the file's expiry.
* ``open_download`` gives the file to its requester only, while it is done and not expired.
* ``purge`` deletes expired files and gives up on stale requests and stuck jobs; a command runs it, and the
  pages run its cheap part whenever they are opened.

Every step is audited: ``export_request``, ``export_approve`` / ``export_reject``, ``export`` (the file was
made), ``download``, ``export_expire``; refusals are audited with outcome ``denied``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, QueryDict
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core.export import export_policy, write_workbook
from ylyx.core.jobs import atomic_file, contained, sha256_of, task_failed, unlink, update_row
from ylyx.core.mask import mask_id_number

from .columns import LONG_DIGITS
from .models import EXPORT_IN_PROGRESS, EXPORT_WAITING, ExportJob, ExportStatus

if TYPE_CHECKING:
    from ylyx.generic.views import ObjectListView

logger = logging.getLogger(__name__)

# The list page an API request for a resource exports (the pages pass their own list name).
LIST_FOR_RESOURCE = {
    "institution": "institutions:list",
    "elderly": "people:elderly_list",
    "infant": "people:infant_list",
    "practitioner": "workforce:list",
    "audit": "audit:list",
}
EXPORT_RESOURCES = sorted(LIST_FOR_RESOURCE)  # the API's choices, named ExportResourceEnum in the schema
DROPPED_PARAMS = ("export", "page")
MAX_QUERYSTRING = 2000
MIN_REASON = 4
REUSE_MINUTES = 15  # a second press while the same request is still open goes to that job
PROGRESS_EVERY = 1000  # rows between progress updates of the job row


class ExportRefused(Exception):
    """A refusal with a Chinese message and the HTTP status it answers with (403, 409 or 410)."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- settings and paths

def file_ttl() -> dt.timedelta:
    return getattr(settings, "EXPORT_FILE_TTL", dt.timedelta(hours=24))


def pending_ttl() -> dt.timedelta:
    return getattr(settings, "EXPORT_PENDING_TTL", dt.timedelta(days=7))


def stale_after() -> dt.timedelta:
    return getattr(settings, "EXPORT_STALE_AFTER", dt.timedelta(minutes=30))


def exports_dir() -> Path:
    """The private area's export folder (0700); beside, never inside, the import uploads' folder."""
    path = Path(settings.PRIVATE_TMP_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def stored_path(job: ExportJob) -> Path | None:
    if not job.stored_name or "/" in job.stored_name or job.stored_name.startswith("."):
        return None
    return contained(exports_dir(), job.stored_name)


def ttl_text(ttl: dt.timedelta) -> str:
    hours = int(ttl.total_seconds() // 3600)
    return f"{hours // 24} 天" if hours >= 48 and hours % 24 == 0 else f"{hours} 小时"


# ---------------------------------------------------------------- the list, as a given user

def clean_querystring(raw: str) -> str:
    """The list's filter as stored: the page's query without ``export`` and ``page``."""
    params = QueryDict(raw or "", mutable=True)
    for key in DROPPED_PARAMS:
        params.pop(key, None)
    text = params.urlencode()
    if len(text) > MAX_QUERYSTRING:
        raise ValidationError({"filter": f"筛选条件：过长（超过 {MAX_QUERYSTRING} 个字符），请简化筛选条件"})
    return text


def list_view_class(list_name: str) -> type[ObjectListView]:
    """The list page's view class, from its URL name; anything but a scoped list page is a 404."""
    from ylyx.generic.views import ObjectListView

    try:
        match = resolve(reverse(list_name))
    except NoReverseMatch:
        raise Http404("没有这个列表") from None
    cls = getattr(match.func, "view_class", None)
    if cls is None or not issubclass(cls, ObjectListView):
        raise Http404("没有这个列表")
    return cls


def list_view(list_name: str, user: Any, querystring: str) -> ObjectListView:
    """The list page's view, set up on a GET request carrying only the stored query and the user."""
    cls = list_view_class(list_name)
    request = HttpRequest()
    request.method = "GET"
    request.path = reverse(list_name)
    request.GET = QueryDict(querystring or "")
    request.user = user
    view = cls()
    view.setup(request)
    return view


def open_list(list_name: str, user: Any, querystring: str) -> tuple[ObjectListView, QuerySet]:
    """The list page's export queryset for ``user``: the page's own scope, filters, search and order.

    The rows and their column getters (the masking) are those of the page's own export, whoever runs this.
    """
    view = list_view(list_name, user, querystring)
    view.require("export")
    qs, _ = view.get_rows("export")
    return view, qs


def list_title(view: ObjectListView) -> str:
    return str(view.title or view.model._meta.verbose_name_plural)[:60]


def describe_filter(view: ObjectListView, querystring: str) -> list[tuple[str, str]]:
    """The stored query as (label, value) pairs for people: filter labels and choice names, not codes."""
    from ylyx.regions.models import Region

    params = QueryDict(querystring or "")
    out: list[tuple[str, str]] = []
    if params.get("region"):
        region = Region.objects.filter(code=params["region"]).first()
        out.append(("区划", region.name if region else params["region"]))
    if params.get("q"):
        out.append(("搜索", params["q"][:50]))
    if view.filterset_class is not None:
        fs = view.filterset_class(params, queryset=view.model._default_manager.none())  # labels only: an empty queryset
        for name, field in fs.form.fields.items():
            value = params.get(name, "")
            if value == "":
                continue
            # Named choices only: a model choice field would read its whole table to name one value.
            choices = {} if isinstance(field, forms.ModelChoiceField) else dict(getattr(field, "choices", []) or [])
            out.append((str(field.label or name), str(choices.get(value, value)).strip("　 ")))
    sort = params.get("sort", "")
    headers = {c.key: c.header for c in view.columns}
    if sort.lstrip("-") in headers:
        out.append(("排序", headers[sort.lstrip("-")] + ("（降序）" if sort.startswith("-") else "")))
    return out


def filter_text(view: ObjectListView, querystring: str) -> str:
    return ("；".join(f"{k}：{v}" for k, v in describe_filter(view, querystring)) or "无（全部记录）")[:1000]


def requester_region(user: Any) -> str | None:
    if user.region_id:
        return user.region_id
    institution = getattr(user, "institution", None)
    return institution.region_id if institution is not None else None


# ---------------------------------------------------------------- request

def request_export(user: Any, list_name: str, querystring: str, reason: str = "") -> ExportJob:
    """Record a request for the list as filtered; start it at once unless it waits for approval."""
    querystring = clean_querystring(querystring)
    view, qs = open_list(list_name, user, querystring)  # PermissionDenied for roles without export
    rows = qs.count()
    resource = view.model.scope_resource
    policy = export_policy(resource, rows)
    # Typed ID numbers are masked like file names in imports: no full number reaches the job or the audit.
    reason = LONG_DIGITS.sub(lambda m: mask_id_number(m.group()), (reason or "").strip())[:500]
    if rows == 0:
        raise ValidationError("没有符合筛选条件的记录，无需导出")
    if policy.reason and len(reason) < MIN_REASON:
        raise ValidationError({"reason": f"导出理由：导出个人信息须写明用途，至少 {MIN_REASON} 个字"})
    region = requester_region(user)
    if not region:
        raise PermissionDenied("您的账号没有管辖区划，不能导出")
    with transaction.atomic():
        recent = timezone.now() - dt.timedelta(minutes=REUSE_MINUTES)
        job = (ExportJob.objects.for_user(user, "download")
               .filter(list_name=list_name, querystring=querystring, created_at__gte=recent,
                       status__in=(ExportStatus.PENDING, *EXPORT_IN_PROGRESS)).first())
        if job is not None:
            return job
        job = ExportJob.objects.create(
            requester=user, region_id=region, resource=resource, model_label=view.model._meta.label_lower,
            list_name=list_name, title=list_title(view), querystring=querystring,
            filter_text=filter_text(view, querystring), rows_requested=rows,
            reason=reason, needs_approval=policy.approval,
            status=ExportStatus.PENDING if policy.approval else ExportStatus.QUEUED,
            message="等待审批：须由另一位有导出审批权限的人员批准" if policy.approval else "等待后台任务处理")
        record(user, "export_request", job, reason=reason,
               detail={"model": job.model_label, "list": list_name, "filter": querystring[:500], "rows": rows,
                       "needs_approval": policy.approval})
    if job.status == ExportStatus.QUEUED:
        start(job)
    job.refresh_from_db()
    return job


def start(job: ExportJob) -> None:
    """Hand a committed job to the task backend (the ImmediateBackend runs it inside ``enqueue``)."""
    from .tasks import generate_export

    try:
        result = generate_export.enqueue(job.pk)
    except Exception:
        _fail(job.pk, "无法提交后台任务，请稍后重试或联系管理员")
        raise
    update_row(ExportJob, job.pk, task_id=str(result.id)[:64])


# ---------------------------------------------------------------- approval

def pending_for(user: Any) -> QuerySet[ExportJob]:
    """Requests waiting for this user's decision (for the approval queue and the officials' to-do list)."""
    return (ExportJob.objects.for_user(user, "approve").filter(status=ExportStatus.PENDING)
            .exclude(requester=user).select_related("requester", "region").order_by("created_at", "id"))


def decision_problem(job: ExportJob, user: Any) -> str:
    from ylyx.core.permissions import allows

    if job.requester_id == user.pk:
        return "不能审批自己申请的导出，须由另一位有导出审批权限的人员审批"
    if not allows(user.role, "export", "approve"):
        return "您的角色没有导出审批权限"
    if not ExportJob.objects.for_user(user, "approve").filter(pk=job.pk).exists():
        return "该导出超出您的审批范围"
    return ""


def may_decide(job: ExportJob, user: Any) -> bool:
    return job.status == ExportStatus.PENDING and not decision_problem(job, user)


def decide(job_id: int, user: Any, approve: bool, comment: str = "") -> ExportJob:
    """Approve (and start) or reject a pending request. Another region's job is a 404 (no oracle)."""
    comment = LONG_DIGITS.sub(lambda m: mask_id_number(m.group()), (comment or "").strip())[:500]
    job = ExportJob.objects.for_user(user, "view").filter(pk=job_id).first()
    if job is None:
        raise Http404("导出任务不存在或超出管辖范围")
    event = "export_approve" if approve else "export_reject"
    problem = decision_problem(job, user)
    if problem:
        record(user, event, job, outcome="denied", reason=problem)
        raise PermissionDenied(problem)
    if not approve and not comment:
        raise ValidationError({"comment": "审批意见：驳回时请写明理由"})
    with transaction.atomic():
        locked = ExportJob.objects.for_user(user, "approve").select_for_update().get(pk=job.pk)
        if locked.status != ExportStatus.PENDING:
            raise ValidationError(f"该导出申请当前为“{locked.get_status_display()}”，不能再审批")
        locked.approver = user
        locked.decided_at = timezone.now()
        locked.decision_comment = comment
        if approve:
            locked.status = ExportStatus.APPROVED
            locked.message = "已批准，等待后台任务处理"
        else:
            locked.status = ExportStatus.REJECTED
            locked.message = f"已驳回：{comment}"[:500]
            locked.finished_at = locked.decided_at
        locked.save()
        record(user, event, locked, reason=comment,
               detail={"requester": str(locked.requester), "requester_id": locked.requester_id,
                       "model": locked.model_label, "filter": locked.querystring[:500],
                       "rows": locked.rows_requested})
    if approve:
        start(locked)
        locked.refresh_from_db()
    return locked


# ---------------------------------------------------------------- generation (the task)

def watermark(job: ExportJob, when: dt.datetime) -> str:
    approver = str(job.approver) if job.approver_id else "无需审批"
    return (f"导出人：{job.requester}  审批人：{approver}  生成时间：{timezone.localtime(when):%Y-%m-%d %H:%M}  "
            f"导出任务 #{job.pk}  内部资料，注意保密")


def _fmt(when: dt.datetime | None) -> str:
    return f"{timezone.localtime(when):%Y-%m-%d %H:%M}" if when else "—"


def job_info(job: ExportJob, when: dt.datetime, expires: dt.datetime) -> list[tuple[str, str]]:
    return [("导出任务", f"#{job.pk}"), ("列表", job.title), ("筛选条件", job.filter_text or "—"),
            ("导出理由", job.reason or "—"), ("申请人", str(job.requester)), ("申请时间", _fmt(job.created_at)),
            ("审批人", str(job.approver) if job.approver_id else "无需审批"), ("审批时间", _fmt(job.decided_at)),
            ("审批意见", job.decision_comment or "—"), ("生成时间", _fmt(when)),
            ("文件保存至", _fmt(expires) + "，到期后服务器上的文件自动删除"),
            ("注意", "本文件含内部资料，仅限申请的用途使用，不得外传；个人信息已按规定脱敏")]


def _progress(job_id: int, total: int):
    def on_row(n: int) -> None:
        if n % PROGRESS_EVERY == 0:
            update_row(ExportJob, job_id, rows_written=n, rows_total=max(total, n), updated_at=timezone.now())
    return on_row


def _fail(job_id: int, message: str) -> None:
    update_row(ExportJob, job_id, unless=(ExportStatus.EXPIRED, ExportStatus.DONE), status=ExportStatus.FAILED,
               message=message[:500], finished_at=timezone.now(), updated_at=timezone.now())


def _rows(view: ObjectListView, qs: QuerySet) -> Iterator[list[Any]]:
    for obj in qs.iterator(chunk_size=2000):
        yield [c.get(obj) for c in view.columns]


def generate(job_id: int) -> str:
    """Make the job's file; idempotent: only a job waiting for the worker is started."""
    now = timezone.now()
    started = ExportJob.objects.unscoped("the worker's own job").filter(pk=job_id, status__in=EXPORT_WAITING).update(
        status=ExportStatus.RUNNING, started_at=now, updated_at=now, rows_written=0, message="正在统计行数")
    job = ExportJob.objects.unscoped("the worker loads its job by id").select_related("requester", "approver").filter(pk=job_id).first()
    if not started or job is None:
        return job.status if job is not None else "missing"
    user = job.requester
    path: Path | None = None
    try:
        if not user.is_active:
            raise ExportRefused("申请人账号已停用，导出未生成")
        if requester_region(user) != job.region_id:
            raise ExportRefused("申请人的管辖范围在申请后发生了变化，导出未生成，请重新申请")
        view, qs = open_list(job.list_name, user, job.querystring)
        if view.model.scope_resource != job.resource:
            raise ExportRefused("列表已变化，导出未生成，请重新申请")
        total = qs.count()
        if export_policy(job.resource, total).approval and not job.approver_id:
            raise ExportRefused(f"记录数已增加到 {total} 行，超过审批阈值，须重新申请并经审批后导出")
        update_row(ExportJob, job.pk, rows_total=total, message=f"正在写入 {total} 行", updated_at=timezone.now())
        path = exports_dir() / f"export-{job.pk}-{secrets.token_hex(8)}.xlsx"
        when = timezone.now()
        expires = when + file_ttl()
        headers = [c.header for c in view.columns]
        with atomic_file(path) as fh:
            written = write_workbook(fh, headers, _rows(view, qs), watermark(job, when),
                                     info=job_info(job, when, expires), on_row=_progress(job.pk, total))
        digest, size = sha256_of(path), path.stat().st_size
        finished = timezone.now()
        with transaction.atomic():
            done = ExportJob.objects.unscoped("the worker's own job").filter(pk=job.pk, status=ExportStatus.RUNNING).update(
                status=ExportStatus.DONE, rows_total=written, rows_written=written, stored_name=path.name,
                file_size=size, sha256=digest, finished_at=finished, updated_at=finished,
                expires_at=finished + file_ttl(), message=f"已生成 {written} 行")
            if not done:  # expired or failed by the sweeper meanwhile: the file must not outlive the job
                unlink(path)
                return "abandoned"
            record(user, "export", job, detail={
                "model": job.model_label, "filter": job.querystring[:500], "rows": written, "job": job.pk,
                "approver": str(job.approver) if job.approver_id else "", "sha256": digest, "size": size})
    except (ExportRefused, PermissionDenied, Http404, ValidationError) as exc:
        unlink(path)
        message = exc.messages[0] if isinstance(exc, ValidationError) else (str(exc) or "您已无权导出该列表")
        _fail(job.pk, message)
        record(user, "export", job, outcome="denied", reason=message,
               detail={"model": job.model_label, "filter": job.querystring[:500], "job": job.pk})
        return ExportStatus.FAILED
    except Exception:
        logger.exception("export job %s failed", job.pk)
        unlink(path)
        message = f"生成导出文件时发生系统错误，请稍后重试或联系管理员（导出任务 #{job.pk}）"
        _fail(job.pk, message)
        record(user, "export", job, outcome="failure", reason=message, detail={"job": job.pk})
        return ExportStatus.FAILED
    return ExportStatus.DONE


def check_task(job: ExportJob) -> ExportJob:
    """A job whose task failed outright (the worker crashed past our handler) is shown as failed."""
    from .tasks import generate_export

    if job.in_progress and task_failed(generate_export, job.task_id):
        _fail(job.pk, f"生成导出文件时发生系统错误，请稍后重试或联系管理员（导出任务 #{job.pk}）")
        job.refresh_from_db()
    return job


# ---------------------------------------------------------------- download

REFUSALS = {
    ExportStatus.PENDING: ("该导出尚未经审批，不能下载；请等待审批人批准", 403),
    ExportStatus.REJECTED: ("该导出申请已被驳回，不能下载", 403),
    ExportStatus.QUEUED: ("导出文件正在生成，请稍后再下载", 409),
    ExportStatus.APPROVED: ("导出文件正在生成，请稍后再下载", 409),
    ExportStatus.RUNNING: ("导出文件正在生成，请稍后再下载", 409),
    ExportStatus.FAILED: ("该导出生成失败，没有可下载的文件；如仍需要请重新申请", 409),
}


def gone_message() -> str:
    return f"导出文件已超过保存期限（{ttl_text(file_ttl())}）并已从服务器删除，如仍需要请重新申请导出"


def open_download(job_id: int, user: Any) -> tuple[ExportJob, Path]:
    """The file for its requester; refusals raise ExportRefused with 403, 409 or 410, and are audited."""
    from ylyx.core.permissions import allows

    job = ExportJob.objects.for_user(user, "view").filter(pk=job_id).first()
    if job is None:
        raise Http404("导出任务不存在或超出管辖范围")
    try:
        if job.requester_id != user.pk:
            raise ExportRefused("只有申请人本人可以下载导出文件", 403)
        if not allows(user.role, job.resource, "export"):
            raise ExportRefused("您的角色已没有导出该列表的权限", 403)
        if job.status == ExportStatus.DONE and job.expires_at is not None and job.expires_at <= timezone.now():
            expire(job)
            job.refresh_from_db()
        if job.status == ExportStatus.EXPIRED:
            raise ExportRefused(gone_message(), 410)
        if job.status in REFUSALS:
            raise ExportRefused(*REFUSALS[ExportStatus(job.status)])
        path = stored_path(job)
        if path is None or not path.is_file():
            expire(job, reason="导出文件已不在服务器上")
            raise ExportRefused(gone_message(), 410)
        if sha256_of(path) != job.sha256:
            raise ExportRefused("导出文件校验失败（文件已被改动），不能下载；请联系管理员并重新申请导出", 409)
    except ExportRefused as exc:
        record(user, "download", job, outcome="denied", reason=str(exc), detail={"job": job.pk, "status": job.status})
        raise
    ExportJob.objects.unscoped("the requester's own job").filter(pk=job.pk).update(downloads=F("downloads") + 1)
    record(user, "download", job, detail={"job": job.pk, "model": job.model_label, "rows": job.rows_total,
                                          "sha256": job.sha256, "file": path.name})
    return job, path


def download_name(job: ExportJob) -> str:
    return f"{job.title}-导出{job.pk}.xlsx"


# ---------------------------------------------------------------- expiry (SEC-RI-2 TTL sweeper)

def expire(job: ExportJob, now: dt.datetime | None = None, reason: str = "") -> bool:
    """Delete a job's file and mark it expired; False when another sweep got there first."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = ExportJob.objects.unscoped("the sweeper").filter(pk=job.pk).exclude(
            status=ExportStatus.EXPIRED).update(
            status=ExportStatus.EXPIRED, stored_name="", updated_at=now, finished_at=job.finished_at or now,
            message=(reason or gone_message())[:500])
        if not changed:
            return False
        files = unlink(stored_path(job))
        record(None, "export_expire", job, reason=reason or "导出文件超过保存期限",
               detail={"job": job.pk, "status": job.status, "files": files, "requester_id": job.requester_id})
    return True


def purge(now: dt.datetime | None = None, *, orphans: bool = True) -> dict[str, int]:
    """Expire done jobs past ``expires_at`` (file deleted), requests nobody acted on, stuck jobs; orphan files.

    Cheap without ``orphans`` (indexed queries only), so pages call it whenever they are opened.
    """
    now = now or timezone.now()
    counts = {"expired": 0, "stale": 0, "stuck": 0, "orphans": 0}
    for job in ExportJob.objects.unscoped("the sweeper").filter(status=ExportStatus.DONE, expires_at__lte=now):
        counts["expired"] += expire(job, now)
    waiting = ExportJob.objects.unscoped("the sweeper").filter(
        status__in=(ExportStatus.PENDING, *EXPORT_WAITING), created_at__lt=now - pending_ttl())
    for job in waiting:
        counts["stale"] += expire(job, now, reason=f"申请超过 {ttl_text(pending_ttl())}未获处理，已失效，如仍需要请重新申请")
    for job in ExportJob.objects.unscoped("the sweeper").filter(status=ExportStatus.RUNNING,
                                                         updated_at__lt=now - stale_after()):
        _fail(job.pk, "生成中断（长时间没有进展），请重新申请导出")
        counts["stuck"] += 1
    if orphans:
        live = set(ExportJob.objects.unscoped("the sweeper").exclude(stored_name="").values_list("stored_name", flat=True))
        cutoff = (now - stale_after()).timestamp()
        for path in exports_dir().iterdir():
            if path.is_file() and path.name not in live and path.stat().st_mtime < cutoff:
                counts["orphans"] += unlink(path)
    return counts
