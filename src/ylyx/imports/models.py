"""Excel import batches (security.md REL-5): one row per uploaded file, with its hash, counts and report.

A batch is validated first (no business writes) and committed second, in one transaction. The uploaded
file lives in ``PRIVATE_TMP_DIR`` only while the batch needs it (SEC-RI-2); ``stored_name`` is blank once
it has been deleted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from ylyx.core.permissions import Action
from ylyx.core.scoping import ScopedManager, ScopedModel, ScopedQuerySet, prefix_q


class Resource(models.TextChoices):
    INSTITUTION = "institution", "机构"
    ELDERLY = "elderly", "老年人"
    INFANT = "infant", "婴幼儿"
    PRACTITIONER = "practitioner", "从业人员"


class Status(models.TextChoices):
    VALIDATING = "validating", "校验中"
    VALIDATED = "validated", "已校验，待提交"
    COMMITTING = "committing", "导入中"
    COMMITTED = "committed", "已导入"
    FAILED = "failed", "失败"
    REJECTED = "rejected", "已拒绝"


class Mode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "全部校验通过才导入（默认）"
    VALID_ROWS_ONLY = "valid_rows_only", "只导入校验通过的行，跳过有错误的行"


IN_PROGRESS = (Status.VALIDATING, Status.COMMITTING)
FINISHED = (Status.COMMITTED, Status.FAILED, Status.REJECTED)


def importable_resources(user: Any) -> list[str]:
    """Resources the user's role may import; operators have none (they belong to an institution, not a region)."""
    from ylyx.core.permissions import allows, as_resource

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return [r.value for r in Resource if allows(user.role, as_resource(r.value), "import")]


class ImportBatchQuerySet(ScopedQuerySet):
    def for_user(self, user: Any, action: Action = "view") -> ImportBatchQuerySet:
        """Batches of resources the user may import, uploaded from inside the user's region subtree."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        resources = importable_resources(user)
        if not resources:
            return self.none()
        prefix = user.region_prefix
        if not prefix:
            return self.none()
        return self.filter(resource__in=resources).filter(prefix_q("region_id", prefix))


class ImportBatchManager(ScopedManager.from_queryset(ImportBatchQuerySet)):  # type: ignore[misc]
    pass


class ImportBatch(ScopedModel):
    scope_resource = ""  # type: ignore[assignment]  # several resources: ``for_user`` checks the role per batch
    scope_region_field = "region_id"

    resource = models.CharField("导入内容", max_length=20, choices=Resource.choices, db_index=True)
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                 related_name="import_batches")
    region = models.ForeignKey("regions.Region", verbose_name="上传人管辖区划", on_delete=models.PROTECT,
                               related_name="+", help_text="上传时上传人的管辖范围；行的区划必须在其中")
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.BigIntegerField("文件大小（字节）", default=0)
    stored_name = models.CharField("临时文件", max_length=80, blank=True, default="", editable=False)
    mode = models.CharField("导入方式", max_length=20, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    force = models.BooleanField("强制重新导入", default=False)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.VALIDATING,
                              db_index=True)
    message = models.TextField("说明", blank=True, default="")
    rows_total = models.PositiveIntegerField("数据行数", default=0)
    rows_new = models.PositiveIntegerField("新增", default=0)
    rows_updated = models.PositiveIntegerField("更新", default=0)
    rows_unchanged = models.PositiveIntegerField("无变化", default=0)
    rows_rejected = models.PositiveIntegerField("有错误", default=0)
    links_created = models.PositiveIntegerField("新增入住/入托", default=0)
    issue_count = models.PositiveIntegerField("问题条数", default=0)
    progress_done = models.PositiveIntegerField("已处理行数", default=0)
    progress_total = models.PositiveIntegerField("总行数（估计）", default=0)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提交人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    validated_at = models.DateTimeField("校验完成", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects: ClassVar[ImportBatchManager] = ImportBatchManager()

    class Meta:
        verbose_name = verbose_name_plural = "导入批次"
        ordering = ["-id"]
        indexes = [models.Index(fields=["sha256", "resource", "region", "status"]),
                   models.Index(fields=["region", "created_at"])]

    def __str__(self) -> str:
        return f"导入批次 #{self.pk}（{self.get_resource_display()}，{self.file_name}）"

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def errors_exist(self) -> bool:
        return self.rows_rejected > 0

    @property
    def can_commit(self) -> bool:
        """Commit needs the file and either a clean report or the valid-rows-only mode with something to write."""
        if not self.stored_name or self.status not in (Status.VALIDATED, Status.FAILED):
            return False
        if self.status == Status.FAILED and self.validated_at is None:
            return False
        if self.rows_rejected and self.mode == Mode.ALL_OR_NOTHING:
            return False
        return self.rows_total - self.rows_rejected > 0

    @property
    def progress_percent(self) -> int:
        if self.status in FINISHED or self.status == Status.VALIDATED:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(self.progress_done * 100 / self.progress_total))


class ImportIssue(models.Model):
    """One line of the report: an Excel row, a column header and a Chinese message (never a full ID number)."""

    class Level(models.TextChoices):
        ERROR = "error", "错误"
        WARNING = "warning", "提示"

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField("行号", default=0, help_text="0 表示整个文件的问题")
    column = models.CharField("列", max_length=60, blank=True, default="")
    message = models.CharField("问题", max_length=500)
    level = models.CharField("级别", max_length=8, choices=Level.choices, default=Level.ERROR)

    class Meta:
        verbose_name = verbose_name_plural = "导入问题"
        ordering = ["batch_id", "row", "id"]
        indexes = [models.Index(fields=["batch", "row"])]

    def __str__(self) -> str:
        return f"第 {self.row} 行 {self.column}：{self.message}"


# ---------------------------------------------------------------- export jobs (security.md PI-6, SEC-RI-2)


class ExportStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    REJECTED = "rejected", "已驳回"
    QUEUED = "queued", "排队中"
    APPROVED = "approved", "已批准"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    EXPIRED = "expired", "已过期"


EXPORT_WAITING = (ExportStatus.QUEUED, ExportStatus.APPROVED)  # ready for the worker
EXPORT_IN_PROGRESS = (*EXPORT_WAITING, ExportStatus.RUNNING)


def approvable_q(user: Any) -> Q:
    """Jobs this user may decide on: personal-data resources they may export themselves, requested inside
    their region subtree (only those ever need approval)."""
    from ylyx.core.export import pi_resources
    from ylyx.core.permissions import allows, as_resource

    if not allows(user.role, "export", "approve") or not user.region_prefix:
        return Q(pk__in=[])
    resources = sorted(r for r in pi_resources() if allows(user.role, as_resource(r), "export"))
    return Q(resource__in=resources) & prefix_q("region_id", user.region_prefix)


class ExportJobQuerySet(ScopedQuerySet):
    def for_user(self, user: Any, action: Action = "view") -> ExportJobQuerySet:
        """``view``: own jobs and those the user may decide on; ``download``: own jobs only; ``approve``:
        jobs in the user's subtree of resources they may export (the requester is refused by the service,
        with a message, rather than hidden)."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if action == "view":
            return self.filter(Q(requester=user) | approvable_q(user))
        if action == "download":
            return self.filter(requester=user)
        if action == "approve":
            return self.filter(approvable_q(user))
        return self.none()


class ExportJobManager(ScopedManager.from_queryset(ExportJobQuerySet)):  # type: ignore[misc]
    pass


class ExportJob(ScopedModel):
    """One request to export a list: who, which list and filter, why, the approval, progress and the file.

    The list is named by its page (``list_name``, a URL name) and re-evaluated as the requester when the
    file is made, so the rows and their masking are exactly those of the page's own export. The file lives
    in the private area (``stored_name``) until ``expires_at``.
    """

    scope_resource = "export"

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT,
                                  related_name="export_jobs")
    region = models.ForeignKey("regions.Region", verbose_name="申请人管辖区划", on_delete=models.PROTECT,
                               related_name="+", help_text="申请时申请人的管辖范围；审批人须管辖该区划")
    resource = models.CharField("导出内容", max_length=20, db_index=True,
                                help_text="列表记录的权限资源，如 elderly、infant")
    model_label = models.CharField("数据表", max_length=60)
    list_name = models.CharField("列表页面", max_length=80, help_text="列表页的 URL 名称，如 people:elderly_list")
    title = models.CharField("列表名称", max_length=60)
    querystring = models.CharField("筛选条件", max_length=2000, blank=True, default="")
    filter_text = models.CharField("筛选条件（说明）", max_length=1000, blank=True, default="",
                                   help_text="申请时按列表的筛选项名称写出的筛选条件，供审批人阅读")
    rows_requested = models.PositiveIntegerField("申请时行数", default=0)
    reason = models.CharField("导出理由", max_length=500, blank=True, default="")
    needs_approval = models.BooleanField("需要审批", default=False)
    status = models.CharField("状态", max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING,
                              db_index=True)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_comment = models.CharField("审批意见", max_length=500, blank=True, default="")
    task_id = models.CharField("后台任务编号", max_length=64, blank=True, default="")
    message = models.CharField("说明", max_length=500, blank=True, default="")
    rows_total = models.PositiveIntegerField("生成时行数", default=0)
    rows_written = models.PositiveIntegerField("已写入行数", default=0)
    stored_name = models.CharField("文件（私有区）", max_length=100, blank=True, default="", editable=False)
    file_size = models.BigIntegerField("文件大小（字节）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, default="")
    downloads = models.PositiveIntegerField("下载次数", default=0)
    created_at = models.DateTimeField("申请时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    started_at = models.DateTimeField("开始生成", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("文件过期时间", null=True, blank=True, db_index=True)

    objects: ClassVar[ExportJobManager] = ExportJobManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "region"]), models.Index(fields=["requester", "created_at"])]

    def __str__(self) -> str:
        return f"导出任务 #{self.pk}（{self.title}）"

    @property
    def in_progress(self) -> bool:
        return self.status in EXPORT_IN_PROGRESS

    @property
    def is_done(self) -> bool:
        return self.status == ExportStatus.DONE

    @property
    def progress_percent(self) -> int:
        if self.status in (ExportStatus.DONE, ExportStatus.EXPIRED):
            return 100
        if self.status != ExportStatus.RUNNING or not self.rows_total:
            return 0
        return min(99, int(self.rows_written * 100 / self.rows_total))
