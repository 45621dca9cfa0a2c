"""Import batches, validate-then-commit (security.md REL-5).

* ``create_batch`` stores the upload privately with its SHA-256, refuses unsafe files and already
  committed re-uploads (unless forced), then starts validation.
* ``validate`` checks every row without writing and stores the report. In the default all-or-nothing
  mode a batch with any bad row is rejected and its file deleted at once.
* ``request_commit`` / ``commit`` re-check every row against the current registry, then write the plan in
  one transaction: bulk upserts on the natural key, links (入住/入托), one audit event per written row and
  one for the batch. Any failure rolls everything back; a failed commit can simply be run again and ends
  in the same state as a clean run.

Small files run inline; larger ones as tasks (``tasks.py``) with progress on the batch every 1,000 rows.
The uploaded file is deleted after commit, rejection or expiry (SEC-RI-2).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ylyx.audit.services import record, record_many
from ylyx.core.errors import Conflict
from ylyx.core.mask import mask_id_number

from . import safety
from .columns import LONG_DIGITS
from .engine import Context, Scan, Stale, chunks, gc_paused, to_audit
from .engine import scan as run_scan
from .models import IN_PROGRESS, ImportBatch, ImportIssue, Mode, Resource, Status, importable_resources
from .reader import BadWorkbook
from .safety import StoredFile, UnsafeFile

logger = logging.getLogger(__name__)

STATE_CHANGED = "批次状态已变化，本次提交未写入任何数据"
AUDIT_CHUNK = 5000  # row events per record_many call (one chain lock and one savepoint each)


def inline_limit() -> int:
    """Files up to this size are processed in the request; larger ones go to the task worker."""
    return getattr(settings, "IMPORT_INLINE_MAX_BYTES", 200 * 1024)


def stale_after() -> dt.timedelta:
    return getattr(settings, "IMPORT_STALE_AFTER", dt.timedelta(minutes=30))


def file_ttl() -> dt.timedelta:
    return getattr(settings, "IMPORT_FILE_TTL", dt.timedelta(hours=24))


def spec_for(resource: str):
    from .specs import SPECS

    return SPECS[resource]


def _path(batch: ImportBatch) -> Path:
    return safety.private_path(batch.stored_name)


def _store(upload: Any) -> tuple[StoredFile, str]:
    from .uploads import PrivateUploadedFile

    # File names are shown on pages: an ID number in a name ("张三110105….xlsx") is masked like any other.
    name = LONG_DIGITS.sub(lambda m: mask_id_number(m.group()), os.path.basename(str(getattr(upload, "name", "") or "")))[:255]
    if isinstance(upload, PrivateUploadedFile):
        upload.claimed = True
        return upload.stored, name
    if hasattr(upload, "seek"):
        upload.seek(0)
    return safety.store_stream(upload), name


def _forget_file(batch: ImportBatch) -> None:
    if batch.stored_name:
        safety.delete_private(batch.stored_name)
        batch.stored_name = ""


def _finish(batch: ImportBatch, status: str, message: str, *, keep_file: bool = False) -> ImportBatch:
    batch.status = status
    batch.message = message
    batch.finished_at = timezone.now()
    if not keep_file:
        _forget_file(batch)
    batch.save()
    return batch


def _reject(batch: ImportBatch, message: str, user: Any) -> ImportBatch:
    _finish(batch, Status.REJECTED, message)
    record(user, "import_rejected", batch, outcome="failure",
           detail={"resource": batch.resource, "sha256": batch.sha256, "size": batch.size, "reason": message[:300]})
    return batch


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    # Keep the file when the batch had passed validation: the commit can be run again (REL-5 f).
    return _finish(batch, Status.FAILED, message, keep_file=batch.validated_at is not None)


def _progress(batch_id: int):
    def update(done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(progress_done=done, progress_total=total,
                                                       updated_at=timezone.now())
    return update


def _save_issues(batch: ImportBatch, result: Scan) -> None:
    ImportIssue.objects.filter(batch=batch).delete()
    objs = [ImportIssue(batch=batch, row=i.row, column=i.column[:60], message=i.message[:500], level=i.level)
            for i in result.issues]
    if result.truncated:
        objs.append(ImportIssue(batch=batch, row=0, column="", message="问题过多，仅记录了前面的部分，请先修正这些问题"))
    ImportIssue.objects.bulk_create(objs, batch_size=2000)
    batch.issue_count = len(objs)


def _set_counts(batch: ImportBatch, result: Scan) -> None:
    batch.rows_total = result.rows_total
    batch.rows_rejected = result.rows_rejected
    batch.rows_new = result.new
    batch.rows_updated = result.updated
    batch.rows_unchanged = result.unchanged
    batch.links_created = result.links


def _context(batch: ImportBatch, user: Any, commit: bool) -> Context:
    from ylyx.core.permissions import domains_for

    return Context(user=user, prefix=user.region_prefix, domains=domains_for(user.role), commit=commit,
                   batch_id=batch.pk)


def _permission_problem(batch: ImportBatch, user: Any) -> str:
    if batch.resource not in importable_resources(user):
        return f"您的角色无权导入{batch.get_resource_display()}"
    if user.region_id != batch.region_id:
        return "您的管辖范围在上传后发生了变化，请重新上传"
    return ""


# ---------------------------------------------------------------- upload

def create_batch(user: Any, upload: IO[bytes] | Any, resource: str, mode: str = Mode.ALL_OR_NOTHING,
                 force: bool = False, *, run: bool = True) -> ImportBatch:
    """Store the upload, refuse unsafe or repeated files, then validate (inline or as a task)."""
    if resource not in Resource.values:
        raise ValidationError({"resource": "请选择导入内容"})
    if mode not in Mode.values:
        raise ValidationError({"mode": "请选择导入方式"})
    if resource not in importable_resources(user):
        raise PermissionDenied(f"您的角色无权导入{Resource(resource).label}")
    if not user.region_id:
        raise PermissionDenied("您的账号没有管辖区划，不能导入")
    stored, name = _store(upload)
    batch = ImportBatch.objects.create(
        resource=resource, uploader=user, region_id=user.region_id, file_name=name or "未命名.xlsx",
        sha256=stored.sha256, size=stored.size, stored_name=stored.name, mode=mode, force=force)
    try:
        safety.check_name(name)
        safety.check_size(stored.size)
        safety.check_package(_path(batch))
        check_repeat(batch)
    except UnsafeFile as e:
        return _reject(batch, str(e), user)
    record(user, "import_upload", batch, detail={"resource": resource, "file": batch.file_name[:100],
                                                 "sha256": batch.sha256, "size": batch.size, "mode": mode,
                                                 "force": force})
    if run:
        start_validation(batch)
        batch.refresh_from_db()
    return batch


def check_repeat(batch: ImportBatch) -> None:
    """The same file for the same resource and scope, already committed: report it unless forced (REL-5 a)."""
    prev = (ImportBatch.objects.filter(sha256=batch.sha256, resource=batch.resource, region_id=batch.region_id,
                                       status=Status.COMMITTED).exclude(pk=batch.pk).order_by("-finished_at")
            .first())
    if prev is None:
        return
    when = timezone.localtime(prev.finished_at or prev.created_at)
    if batch.force:
        batch.message = f"该文件已于 {when:%Y-%m-%d %H:%M} 导入（批次 #{prev.pk}），本次为强制重新导入"
        batch.save(update_fields=["message"])
        return
    raise UnsafeFile(f"该文件已于 {when:%Y-%m-%d %H:%M} 导入（批次 #{prev.pk}），未重复导入。"
                     "如确需重新导入，请勾选“强制重新导入”")


def start_validation(batch: ImportBatch) -> None:
    if batch.size <= inline_limit():
        validate(batch.pk)
    else:
        from .tasks import validate_batch

        validate_batch.enqueue(batch.pk)


# ---------------------------------------------------------------- phase 1

def validate(batch_id: int) -> ImportBatch:
    """Phase 1: every row parsed and checked against the registry, nothing written but the report."""
    batch = ImportBatch.objects.select_related("uploader").get(pk=batch_id)
    if batch.status != Status.VALIDATING:
        return batch  # a task delivered twice, or a batch the sweeper gave up on
    user = batch.uploader
    problem = _permission_problem(batch, user)
    if problem:
        return _reject(batch, problem, user)
    try:
        with gc_paused():
            result = run_scan(spec_for(batch.resource), _path(batch), _context(batch, user, commit=False),
                              _progress(batch.pk))
    except BadWorkbook as e:
        return _reject(batch, str(e), user)
    except Exception:
        logger.exception("import batch %s: validation crashed", batch.pk)
        return _finish(batch, Status.FAILED, f"处理文件时发生系统错误，请联系管理员（批次 #{batch.pk}）")
    batch.refresh_from_db()
    _set_counts(batch, result)
    _save_issues(batch, result)
    batch.validated_at = timezone.now()
    batch.progress_done = batch.progress_total = result.rows_total
    valid = result.rows_total - result.rows_rejected
    if result.rows_total == 0:
        return _reject(batch, "文件中没有数据行，请从第 2 行起填写数据后重新上传", user)
    if result.rows_rejected and batch.mode == Mode.ALL_OR_NOTHING:
        return _reject(batch, f"共 {result.rows_total} 行，其中 {result.rows_rejected} 行未通过校验，未导入任何数据。"
                              "请按下方错误列表修改后重新上传，或选择“只导入校验通过的行”", user)
    if valid == 0:
        return _reject(batch, f"共 {result.rows_total} 行，全部未通过校验，未导入任何数据", user)
    batch.status = Status.VALIDATED
    summary = (f"校验通过 {valid} 行：预计新增 {result.new}、更新 {result.updated}、无变化 {result.unchanged}"
               + (f"，新办入住/入托 {result.links}" if result.links else ""))
    if result.rows_rejected:
        summary += f"；{result.rows_rejected} 行有错误，提交时将跳过"
    batch.message = (batch.message + "。" if batch.message else "") + summary
    batch.save()
    return batch


# ---------------------------------------------------------------- phase 2

def request_commit(batch_id: int, user: Any) -> ImportBatch:
    """Checks and state change for the commit button / API; the work runs inline or as a task."""
    with transaction.atomic():
        batch = ImportBatch.objects.for_user(user).select_for_update().get(pk=batch_id)
        if batch.uploader_id != user.pk:
            raise PermissionDenied("只有上传人可以提交此批次")
        problem = _permission_problem(batch, user)
        if problem:
            raise PermissionDenied(problem)
        stuck = batch.status == Status.COMMITTING and batch.updated_at < timezone.now() - stale_after()
        if not (batch.can_commit or stuck):
            raise Conflict(commit_refusal(batch))
        batch.status = Status.COMMITTING
        batch.committed_by = user
        batch.progress_done = 0
        batch.finished_at = None
        batch.save()
    if batch.size <= inline_limit():
        commit(batch.pk)
    else:
        from .tasks import commit_batch

        commit_batch.enqueue(batch.pk)
    batch.refresh_from_db()
    return batch


def commit_refusal(batch: ImportBatch) -> str:
    if batch.status == Status.COMMITTED:
        return "该批次已导入"
    if batch.status in IN_PROGRESS:
        return "该批次正在处理中"
    if not batch.stored_name:
        return "上传的文件已删除（已处理或超过保存期限），请重新上传"
    if batch.rows_rejected and batch.mode == Mode.ALL_OR_NOTHING:
        return "该批次有未通过校验的行，不能提交"
    return "该批次当前不能提交"


def commit(batch_id: int) -> ImportBatch:
    """Phase 2: re-check against the current registry, then write everything in one transaction."""
    batch = ImportBatch.objects.select_related("committed_by").get(pk=batch_id)
    if batch.status != Status.COMMITTING:
        return batch
    user = batch.committed_by
    spec = spec_for(batch.resource)
    try:
        with gc_paused():
            refused = _commit_attempts(batch, spec, user)
        if refused is not None:
            return refused
    except (Stale, IntegrityError):
        return _fail(batch, "导入期间相关数据被其他操作修改，未写入任何数据，请重新提交")
    except PermissionDenied as e:
        return _fail(batch, f"导入失败，未写入任何数据：{e}")
    except _StateChanged:
        batch.refresh_from_db()
        return batch
    except Exception:
        logger.exception("import batch %s: commit failed", batch.pk)
        return _fail(batch, f"导入时发生系统错误，未写入任何数据，可重新提交（批次 #{batch.pk}）")
    batch.refresh_from_db()
    _forget_file(batch)
    batch.save(update_fields=["stored_name"])
    return batch


def _commit_attempts(batch: ImportBatch, spec: Any, user: Any) -> ImportBatch | None:
    """Scan and write; a write that meets changed data (Stale, IntegrityError) is re-scanned once.

    Returns None once written, or the batch as rejected by the re-check.
    """
    for attempt in (1, 2):
        ctx = _context(batch, user, commit=True)
        try:
            result = run_scan(spec, _path(batch), ctx, _progress(batch.pk))
        except BadWorkbook as e:
            return _reject(batch, str(e), user)
        batch.refresh_from_db()
        valid = result.rows_total - result.rows_rejected
        if (result.rows_rejected and batch.mode == Mode.ALL_OR_NOTHING) or valid == 0:
            _set_counts(batch, result)
            _save_issues(batch, result)
            return _reject(batch, f"提交前重新校验发现 {result.rows_rejected} 行有错误（系统数据在校验后发生了变化），"
                                  "未导入任何数据，请按错误列表修改后重新上传", user)
        try:
            with transaction.atomic():
                _write(batch, spec, result, ctx)
            break
        except (Stale, IntegrityError):
            if attempt == 2:
                raise
            logger.info("import batch %s: registry changed during commit, re-checking", batch.pk)
    return None


class _StateChanged(Exception):
    pass


def _write(batch: ImportBatch, spec: Any, result: Scan, ctx: Context) -> None:
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != Status.COMMITTING:
        raise _StateChanged(STATE_CHANGED)
    spec.lock_and_verify(ctx)
    written = spec.write(result.plan, ctx)
    _set_counts(locked, result)
    locked.rows_new = written.created
    locked.rows_updated = written.updated
    locked.links_created = written.links
    _save_issues(locked, result)
    # Business rows first, audit last: the audit chain lock is held only for the audit writes.
    for part in chunks(written.events, AUDIT_CHUNK):
        record_many(to_audit(ctx, part))
    locked.status = Status.COMMITTED
    locked.finished_at = timezone.now()
    locked.progress_done = locked.progress_total = result.rows_total
    locked.message = (f"已导入：新增 {written.created}、更新 {written.updated}、无变化 {result.unchanged}"
                      + (f"，新办入住/入托 {written.links}" if written.links else "")
                      + (f"；跳过有错误的 {result.rows_rejected} 行" if result.rows_rejected else ""))
    locked.save()
    record(ctx.user, "import", locked, detail={
        "resource": locked.resource, "file": locked.file_name[:100], "sha256": locked.sha256, "size": locked.size,
        "mode": locked.mode, "force": locked.force, "rows": locked.rows_total, "new": written.created,
        "updated": written.updated, "unchanged": result.unchanged, "rejected": result.rows_rejected,
        "links": written.links})


# ---------------------------------------------------------------- housekeeping

def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """TTL sweeper (SEC-RI-2): give up on stuck batches, delete expired and orphaned upload files."""
    now = now or timezone.now()
    stuck = 0
    for batch in ImportBatch.objects.filter(status__in=IN_PROGRESS, updated_at__lt=now - stale_after()):
        _fail(batch, "处理中断（长时间没有进展），未写入任何数据；请重新提交或重新上传")
        stuck += 1
    expired = 0
    for batch in ImportBatch.objects.exclude(stored_name="").filter(updated_at__lt=now - file_ttl()).exclude(
            status__in=IN_PROGRESS):
        _forget_file(batch)
        if batch.status == Status.VALIDATED:
            batch.status = Status.FAILED
            batch.message = "上传的文件已超过保存期限并已删除，请重新上传"
            batch.finished_at = now
        batch.save()
        expired += 1
    referenced = set(ImportBatch.objects.exclude(stored_name="").values_list("stored_name", flat=True))
    orphans = 0
    cutoff = (now - file_ttl()).timestamp()
    for path in safety.private_dir().iterdir():
        if path.name not in referenced and path.is_file() and path.stat().st_mtime < cutoff:
            safety.delete_private(path.name)
            orphans += 1
    return {"stuck": stuck, "expired": expired, "orphans": orphans}
