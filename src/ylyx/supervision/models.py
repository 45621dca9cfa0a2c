"""综合监管: 双随机 plans, draws and inspections; rectification; credit with red/black lists; complaints;
emergencies.

Every record is region-bound and scoped by construction (``ScopedModel``). Records about an institution
carry its region code and domain (民政 elder / 卫健 childcare), so the same prefix rule and domain rule as
the registry apply. An inspector sees only the inspections assigned to them (``AssignedQuerySet``); an
institution's operator sees its finished inspections, its rectification orders, its credit file and its
incidents, never a plan, a draw before it happens, or a complaint (the complainant is protected).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ylyx.core import crypto, mask
from ylyx.core.models import TimeStamped
from ylyx.core.scoping import ScopedManager, ScopedModel, ScopedQuerySet

INSPECTOR_ROLE = "inspector"


class Domain(models.TextChoices):
    ELDER = "elder", "养老（民政）"
    CHILDCARE = "childcare", "托育（卫健）"


def domain_of_kind(kind: str) -> str:
    return Domain.CHILDCARE if kind == "childcare" else Domain.ELDER


class AssignedQuerySet(ScopedQuerySet):
    """The region and role rule of ScopedQuerySet, and for inspectors only what is assigned to them.

    ``assigned_path`` is the lookup from the model to the assigned inspector's login (``User``).
    """

    assigned_path = ""

    def for_user(self, user: Any, action: str = "view"):
        qs = super().for_user(user, action)
        if getattr(user, "role", "") == INSPECTOR_ROLE and self.assigned_path:
            mine = self.model._base_manager.filter(**{self.assigned_path: user}).values("pk")
            qs = qs.filter(pk__in=mine)
        return qs


class PlanQuerySet(AssignedQuerySet):
    assigned_path = "tasks__inspections__assignments__inspector__user"


class InspectorQuerySet(AssignedQuerySet):
    assigned_path = "user"


class TaskQuerySet(AssignedQuerySet):
    assigned_path = "inspections__assignments__inspector__user"


class InspectionQuerySet(AssignedQuerySet):
    assigned_path = "assignments__inspector__user"


class RectificationQuerySet(AssignedQuerySet):
    assigned_path = "inspection__assignments__inspector__user"


class PlanManager(ScopedManager.from_queryset(PlanQuerySet)):  # type: ignore[misc]
    pass


class InspectorManager(ScopedManager.from_queryset(InspectorQuerySet)):  # type: ignore[misc]
    pass


class TaskManager(ScopedManager.from_queryset(TaskQuerySet)):  # type: ignore[misc]
    pass


class InspectionManager(ScopedManager.from_queryset(InspectionQuerySet)):  # type: ignore[misc]
    pass


class RectificationManager(ScopedManager.from_queryset(RectificationQuerySet)):  # type: ignore[misc]
    pass


# ---------------------------------------------------------------------------------------------------
# plans, inspectors, tasks


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "草拟"
    ACTIVE = "active", "执行中"
    CLOSED = "closed", "已结束"


class InspectionPlan(ScopedModel, TimeStamped):
    """年度抽查计划 of a city or county department: scope, ratio, weights, checklist and recusal rules."""

    scope_resource = "inspection"
    scope_domain_field = "domain"

    title = models.CharField("计划名称", max_length=120)
    year = models.PositiveSmallIntegerField("年度")
    region = models.ForeignKey("regions.Region", verbose_name="实施区划", on_delete=models.PROTECT, related_name="+")
    department = models.CharField("实施部门", max_length=60)
    domain = models.CharField("领域", max_length=10, choices=Domain.choices)
    kinds = models.JSONField("抽查对象类别", default=list, help_text="elder / community / childcare")
    ratio = models.DecimalField("抽查比例", max_digits=5, decimal_places=4, help_text="如 0.2000 为 20%")
    weights = models.JSONField("信用等级抽查权重", default=dict)
    inspectors_per_target = models.PositiveSmallIntegerField("每个对象检查人员数", default=2)
    recuse_employer_region = models.BooleanField("本旗县区检查人员回避", default=False)
    recuse_last_inspector = models.BooleanField("上次检查人员回避", default=True)
    force_new_months = models.PositiveSmallIntegerField("新开业必查（月）", default=12)
    force_complaint_days = models.PositiveSmallIntegerField("投诉属实必查（天）", default=180)
    checklist = models.CharField("检查表", max_length=40)
    period_start = models.DateField("检查期起")
    period_end = models.DateField("检查期止")
    status = models.CharField("状态", max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="创建人")

    objects: ClassVar[PlanManager] = PlanManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "抽查计划"
        ordering = ["-year", "region_id", "id"]

    def get_absolute_url(self) -> str:
        return reverse("supervision:plan_detail", args=[self.pk])

    def __str__(self) -> str:
        return self.title


class Inspector(ScopedModel, TimeStamped):
    """执法检查人员名录: one entry per inspector; the public draw shows only ``code`` and the department."""

    scope_resource = "inspection"
    PI_FIELDS = {"name": "personal", "phone_enc": "personal", "certificate_no": "personal"}

    code = models.CharField("人员编码", max_length=30, unique=True, help_text="公开抽取结果中使用的编码")
    name = models.CharField("姓名", max_length=50)
    department = models.CharField("所在部门", max_length=60)
    region = models.ForeignKey("regions.Region", verbose_name="所在部门区划", on_delete=models.PROTECT,
                               related_name="+")
    domains = models.JSONField("执法领域", default=list, help_text="elder / childcare")
    certificate_no = models.CharField("执法证号", max_length=40, blank=True)
    phone_enc = models.TextField("电话（密文）", blank=True, default="", editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="inspector_profile", verbose_name="登录账号")
    active = models.BooleanField("在册", default=True)

    objects: ClassVar[InspectorManager] = InspectorManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "执法检查人员"
        ordering = ["code"]

    def get_absolute_url(self) -> str:
        return reverse("supervision:inspector_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.code} {mask.mask_name(self.name)}"

    @property
    def name_masked(self) -> str:
        return mask.mask_name(self.name)

    @property
    def phone_masked(self) -> str:
        return mask.mask_phone(crypto.decrypt_field(self.phone_enc))


class InspectorConflict(ScopedModel):
    """A declared conflict of interest (kinship, business relation, former employer): recused from the target."""

    scope_parent = "inspector"

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="conflicts")
    institution = models.ForeignKey("institutions.Institution", on_delete=models.CASCADE, related_name="+",
                                    verbose_name="回避机构")
    reason = models.CharField("回避事由", max_length=200)
    declared_on = models.DateField("申报日期")

    class Meta:
        verbose_name = verbose_name_plural = "回避申报"
        constraints = [models.UniqueConstraint(fields=["inspector", "institution"], name="conflict_unique")]

    def __str__(self) -> str:
        return f"{self.inspector_id}→{self.institution_id}"


class TaskStatus(models.TextChoices):
    PENDING = "pending", "待抽取"
    DRAWN = "drawn", "已抽取"
    IN_PROGRESS = "in_progress", "检查中"
    COMPLETED = "completed", "已完成"
    PUBLISHED = "published", "已公示"


class InspectionTask(ScopedModel, TimeStamped):
    """One draw of a plan (“2025年第一批”): the commitment, the frozen pools and the result live here."""

    scope_parent = "plan"

    plan = models.ForeignKey(InspectionPlan, on_delete=models.PROTECT, related_name="tasks", verbose_name="抽查计划")
    name = models.CharField("批次", max_length=60)
    status = models.CharField("状态", max_length=12, choices=TaskStatus.choices, default=TaskStatus.PENDING,
                              db_index=True)
    period_start = models.DateField("检查期起")
    period_end = models.DateField("检查期止")
    commitment = models.CharField("种子承诺值（SHA-256）", max_length=64, blank=True)
    seed_enc = models.TextField("种子（抽取前加密保存）", blank=True, editable=False)
    seed = models.CharField("种子（抽取后公开）", max_length=64, blank=True)
    witness = models.CharField("见证值", max_length=100, blank=True,
                               help_text="抽取时现场输入的公开数值（如公证员读出的数字），参与计算")
    committed_at = models.DateTimeField("承诺公布时间", null=True, blank=True)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name="承诺公布人")
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name="抽取人")
    targets_json = models.TextField("检查对象名录（冻结）", blank=True)
    targets_sha256 = models.CharField("检查对象名录 SHA-256", max_length=64, blank=True)
    inspectors_json = models.TextField("检查人员名录（冻结）", blank=True)
    inspectors_sha256 = models.CharField("检查人员名录 SHA-256", max_length=64, blank=True)
    params_json = models.TextField("抽取参数（冻结）", blank=True)
    params_sha256 = models.CharField("抽取参数 SHA-256", max_length=64, blank=True)
    result_json = models.TextField("抽取结果", blank=True)
    result_sha256 = models.CharField("抽取结果 SHA-256", max_length=64, blank=True)

    objects: ClassVar[TaskManager] = TaskManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "抽查任务"
        ordering = ["-period_start", "id"]

    def get_absolute_url(self) -> str:
        return reverse("supervision:task_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.plan}·{self.name}"

    @property
    def region_id(self) -> str:
        """The plan's region, so audit events about a task are found by region."""
        return self.plan.region_id

    @property
    def is_committed(self) -> bool:
        return bool(self.commitment)

    @property
    def is_drawn(self) -> bool:
        return bool(self.seed)


# ---------------------------------------------------------------------------------------------------
# inspections


class InspectionKind(models.TextChoices):
    RANDOM = "random", "双随机抽查"
    REINSPECTION = "reinspection", "整改复查"
    COMPLAINT = "complaint", "投诉核查"


class InspectionStatus(models.TextChoices):
    ASSIGNED = "assigned", "已派检"
    IN_PROGRESS = "in_progress", "检查中"
    DONE = "done", "已完成"
    PUBLISHED = "published", "已公示"


class Outcome(models.TextChoices):
    PASS = "pass", "合格"
    MINOR = "minor", "基本合格（限期整改）"
    FAIL = "fail", "不合格"


class Inspection(ScopedModel, TimeStamped):
    """One visit to one institution: checklist results, photos, outcome, publication and follow-up date."""

    scope_resource = "inspection"
    scope_domain_field = "domain"

    task = models.ForeignKey(InspectionTask, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="inspections", verbose_name="抽查任务")
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="检查对象")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="所在区划")
    domain = models.CharField("领域", max_length=10, choices=Domain.choices)
    kind = models.CharField("检查类型", max_length=14, choices=InspectionKind.choices, default=InspectionKind.RANDOM)
    checklist = models.CharField("检查表", max_length=40)
    forced_reason = models.CharField("必查原因", max_length=40, blank=True)
    credit_class = models.CharField("抽取时信用等级", max_length=4, blank=True)
    status = models.CharField("状态", max_length=12, choices=InspectionStatus.choices,
                              default=InspectionStatus.ASSIGNED, db_index=True)
    inspected_on = models.DateField("检查日期", null=True, blank=True, db_index=True)
    checked_in_at = models.DateTimeField("到场时间", null=True, blank=True)
    lat = models.FloatField("到场纬度", null=True, blank=True)
    lon = models.FloatField("到场经度", null=True, blank=True)
    outcome = models.CharField("检查结论", max_length=8, choices=Outcome.choices, blank=True)
    summary = models.TextField("检查情况（内部）", blank=True)
    public_summary = models.TextField("公示内容", blank=True, help_text="公示时显示，不得含个人信息")
    publish_due = models.DateField("公示期限", null=True, blank=True, db_index=True)
    publish_due_provisional = models.BooleanField("公示期限为预计", default=False)
    published_at = models.DateTimeField("公示时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name="公示人")
    next_due = models.DateField("下次检查期限", null=True, blank=True)
    next_due_reason = models.CharField("下次检查依据", max_length=120, blank=True)
    reinspection_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="reinspections", verbose_name="复查的检查")

    objects: ClassVar[InspectionManager] = InspectionManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "检查"
        ordering = ["-inspected_on", "-id"]
        indexes = [models.Index(fields=["region", "inspected_on"]), models.Index(fields=["status", "publish_due"])]

    def get_absolute_url(self) -> str:
        return reverse("supervision:inspection_detail", args=[self.pk])

    def __str__(self) -> str:
        when = f" {self.inspected_on:%Y-%m-%d}" if self.inspected_on else ""
        return f"{self.institution}{when}{self.get_kind_display()}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        # unannounced inspections stay unannounced: the operator sees a visit once it is finished
        return Q(institution_id=institution_id, status__in=[InspectionStatus.DONE, InspectionStatus.PUBLISHED])


class Assignment(ScopedModel):
    scope_parent = "inspection"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="assignments")
    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="assignments",
                                  verbose_name="检查人员")
    lead = models.BooleanField("主检", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "派检"
        constraints = [models.UniqueConstraint(fields=["inspection", "inspector"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.inspection_id}:{self.inspector_id}"


class Severity(models.TextChoices):
    HIGH = "high", "严重"
    MEDIUM = "medium", "一般"
    LOW = "low", "轻微"


class ItemOutcome(models.TextChoices):
    PASS = "pass", "符合"
    FAIL = "fail", "不符合"
    NA = "na", "不适用"


class ItemResult(ScopedModel):
    """One checklist item as checked: the item's text and legal basis are copied, so later edits of the
    checklist never change a finished inspection."""

    scope_parent = "inspection"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="items")
    code = models.CharField("检查项编号", max_length=20)
    text = models.CharField("检查内容", max_length=300)
    basis = models.CharField("依据", max_length=200)
    severity = models.CharField("严重程度", max_length=8, choices=Severity.choices)
    result = models.CharField("结果", max_length=6, choices=ItemOutcome.choices)
    note = models.TextField("问题描述", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "检查项结果"
        ordering = ["inspection_id", "code"]
        constraints = [models.UniqueConstraint(fields=["inspection", "code"], name="item_result_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_result_display()}"


class Attachment(ScopedModel):
    """A photo taken on site, stored in a private folder and served only through a scoped view."""

    scope_parent = "inspection"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="attachments")
    item_code = models.CharField("检查项编号", max_length=20, blank=True)
    stored_name = models.CharField("存储文件名", max_length=80, editable=False)
    original_name = models.CharField("原文件名", max_length=120, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("字节数")
    content_type = models.CharField("类型", max_length=40)
    width = models.PositiveIntegerField("宽")
    height = models.PositiveIntegerField("高")
    taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "现场照片"
        ordering = ["inspection_id", "id"]

    def __str__(self) -> str:
        return self.original_name or self.stored_name


class RectificationStatus(models.TextChoices):
    OPEN = "open", "整改中"
    REPORTED = "reported", "已报告整改"
    ESCALATED = "escalated", "逾期督办"
    CLOSED = "closed", "复查通过"


class Rectification(ScopedModel, TimeStamped):
    """整改通知: a finding with a deadline; overdue ones escalate; a re-inspection closes them."""

    scope_resource = "inspection"
    scope_domain_field = "domain"

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="rectifications",
                                   verbose_name="检查")
    item_code = models.CharField("检查项编号", max_length=20, blank=True)
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="机构")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    domain = models.CharField("领域", max_length=10, choices=Domain.choices)
    description = models.TextField("问题及整改要求")
    severity = models.CharField("严重程度", max_length=8, choices=Severity.choices)
    deadline = models.DateField("整改期限", db_index=True)
    status = models.CharField("状态", max_length=10, choices=RectificationStatus.choices,
                              default=RectificationStatus.OPEN, db_index=True)
    reported_on = models.DateField("报告整改日期", null=True, blank=True)
    report_text = models.TextField("整改情况报告", blank=True)
    escalated_on = models.DateField("督办日期", null=True, blank=True)
    closed_on = models.DateField("复查通过日期", null=True, blank=True)
    closed_by = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name="复查")

    objects: ClassVar[RectificationManager] = RectificationManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "整改"
        ordering = ["deadline", "id"]

    def get_absolute_url(self) -> str:
        return reverse("supervision:rectification_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.institution}：{self.description[:30]}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)

    @property
    def is_open(self) -> bool:
        return self.status != RectificationStatus.CLOSED


# ---------------------------------------------------------------------------------------------------
# credit


class SubjectRecord(ScopedModel):
    """A credit record about an institution or a practitioner (exactly one), in the subject's region."""

    scope_resource = "credit"
    scope_domain_field = "domain"

    institution = models.ForeignKey("institutions.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="机构")
    practitioner = models.ForeignKey("workforce.Practitioner", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="从业人员")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    domain = models.CharField("领域", max_length=10, choices=Domain.choices)

    class Meta:
        abstract = True

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)

    @property
    def subject(self) -> Any:
        return self.institution if self.institution_id else self.practitioner

    @property
    def subject_label(self) -> str:
        if self.institution_id:
            return str(self.institution)
        return f"从业人员 {self.practitioner}" if self.practitioner_id else ""


def _one_subject(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(Q(institution__isnull=False) & Q(practitioner__isnull=True))
        | (Q(institution__isnull=True) & Q(practitioner__isnull=False)), name=name)


class CreditEvent(SubjectRecord, TimeStamped):
    """A scored fact in a credit file: inspection results, rectification, complaints, penalties, fraud …"""

    kind = models.CharField("事件", max_length=30)
    label = models.CharField("事件名称", max_length=60)
    points = models.SmallIntegerField("分值")
    on = models.DateField("发生日期", db_index=True)
    note = models.CharField("说明", max_length=300, blank=True)
    source = models.CharField("来源", max_length=60, blank=True, help_text="如 inspection:12、complaint:3")
    revoked = models.BooleanField("已撤销", default=False, help_text="异议成立后撤销，不再计分")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="记录人")

    class Meta:
        verbose_name = verbose_name_plural = "信用事件"
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["institution", "on"]), models.Index(fields=["practitioner", "on"])]
        constraints = [_one_subject("creditevent_one_subject")]

    def __str__(self) -> str:
        return f"{self.subject_label} {self.on:%Y-%m-%d} {self.label}"


class CreditRating(SubjectRecord):
    """The yearly class (A/B/C/D or the region's own scale in force that year)."""

    year = models.PositiveSmallIntegerField("年度")
    points = models.SmallIntegerField("得分")
    credit_class = models.CharField("信用等级", max_length=4)
    scale = models.CharField("等级标准", max_length=40)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度信用等级"
        ordering = ["-year"]
        constraints = [
            _one_subject("creditrating_one_subject"),
            models.UniqueConstraint(fields=["institution", "year"], condition=Q(institution__isnull=False),
                                    name="rating_institution_year"),
            models.UniqueConstraint(fields=["practitioner", "year"], condition=Q(practitioner__isnull=False),
                                    name="rating_practitioner_year"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} {self.year} {self.credit_class}"


class ListType(models.TextChoices):
    RED = "red", "守信（红名单）"
    BLACK = "black", "失信（黑名单）"


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "在列"
    EXITED = "exited", "已移出（信用修复/期满）"
    REVOKED = "revoked", "已撤销（异议成立）"


class CreditListEntry(SubjectRecord, TimeStamped):
    list_type = models.CharField("名单", max_length=6, choices=ListType.choices)
    rule = models.CharField("列入规则", max_length=40)
    reason = models.CharField("列入理由", max_length=300)
    entered_on = models.DateField("列入日期")
    expires_on = models.DateField("期满日期", null=True, blank=True)
    status = models.CharField("状态", max_length=8, choices=EntryStatus.choices, default=EntryStatus.ACTIVE,
                              db_index=True)
    exited_on = models.DateField("移出日期", null=True, blank=True)
    exit_reason = models.CharField("移出理由", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "红黑名单"
        ordering = ["-entered_on", "-id"]
        constraints = [_one_subject("creditlist_one_subject")]

    def __str__(self) -> str:
        return f"{self.subject_label} {self.get_list_type_display()}"


class AppealKind(models.TextChoices):
    OBJECTION = "objection", "异议（列入有误）"
    REPAIR = "repair", "信用修复申请"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待处理"
    ACCEPTED = "accepted", "已同意"
    REJECTED = "rejected", "不同意"


class CreditAppeal(ScopedModel, TimeStamped):
    scope_parent = "entry"

    entry = models.ForeignKey(CreditListEntry, on_delete=models.CASCADE, related_name="appeals",
                              verbose_name="名单记录")
    kind = models.CharField("申请类型", max_length=10, choices=AppealKind.choices)
    text = models.TextField("申请理由及整改情况")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="申请人")
    submitted_on = models.DateField("申请日期")
    status = models.CharField("状态", max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="处理人")
    decided_on = models.DateField("处理日期", null=True, blank=True)
    decision = models.TextField("处理意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用异议与修复申请"
        ordering = ["-submitted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.submitted_on:%Y-%m-%d}"

    @property
    def region_id(self) -> str:
        return self.entry.region_id


# ---------------------------------------------------------------------------------------------------
# complaints


class Channel(models.TextChoices):
    PHONE = "phone", "电话"
    HOTLINE = "hotline", "12345 热线转办"
    WEB = "web", "网上留言"
    LETTER = "letter", "来信"
    VISIT = "visit", "来访"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "已受理"
    INVESTIGATING = "investigating", "核查中"
    CLOSED = "closed", "已办结"


class ComplaintOutcome(models.TextChoices):
    UPHELD = "upheld", "属实"
    PARTLY = "partly", "部分属实"
    UNFOUNDED = "unfounded", "不属实"


class Complaint(ScopedModel, TimeStamped):
    """投诉举报: taken by an officer, routed to the county that owns the institution, closed in working days."""

    scope_resource = "complaint"
    scope_domain_field = "domain"
    PI_FIELDS = {"complainant_name": "personal", "complainant_phone_enc": "personal"}

    number = models.CharField("编号", max_length=20, unique=True)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    received_on = models.DateField("受理日期", db_index=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name="受理人")
    anonymous = models.BooleanField("匿名", default=False)
    complainant_name = models.CharField("投诉人姓名", max_length=50, blank=True)
    complainant_phone_enc = models.TextField("投诉人电话（密文）", blank=True, editable=False)
    institution = models.ForeignKey("institutions.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="被投诉机构")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="承办区划")
    domain = models.CharField("领域", max_length=10, choices=Domain.choices)
    category = models.CharField("类别", max_length=30)
    summary = models.TextField("投诉内容")
    status = models.CharField("状态", max_length=14, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED, db_index=True)
    due_on = models.DateField("办结期限", db_index=True)
    due_provisional = models.BooleanField("期限为预计", default=False)
    outcome = models.CharField("核查结论", max_length=10, choices=ComplaintOutcome.choices, blank=True)
    outcome_text = models.TextField("处理结果", blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name="核查检查")

    class Meta:
        verbose_name = verbose_name_plural = "投诉举报"
        ordering = ["-received_on", "-id"]

    def get_absolute_url(self) -> str:
        return reverse("supervision:complaint_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.number}"

    @property
    def complainant_masked(self) -> str:
        if self.anonymous:
            return "匿名"
        phone = mask.mask_phone(crypto.decrypt_field(self.complainant_phone_enc))
        return " ".join(x for x in (mask.mask_name(self.complainant_name), phone) if x)


# ---------------------------------------------------------------------------------------------------
# emergencies


class IncidentType(models.TextChoices):
    FIRE = "fire", "火灾"
    FOOD = "food", "食物中毒"
    DISEASE = "disease", "传染病疫情"
    INJURY = "injury", "意外伤害"
    MISSING = "missing", "走失"
    VIOLENCE = "violence", "侵害事件"
    DISASTER = "disaster", "自然灾害"
    FACILITY = "facility", "设施设备事故（停电、停水、供暖）"
    OTHER = "other", "其他"


class IncidentSeverity(models.TextChoices):
    I = "1", "Ⅰ级（特别重大）"  # noqa: E741 - the official numeral
    II = "2", "Ⅱ级（重大）"
    III = "3", "Ⅲ级（较大）"
    IV = "4", "Ⅳ级（一般）"


class IncidentLevel(models.TextChoices):
    COUNTY = "county", "旗县区"
    CITY = "city", "市（盟）"
    PROVINCE = "province", "自治区（省）"


LEVEL_ORDER = [IncidentLevel.COUNTY, IncidentLevel.CITY, IncidentLevel.PROVINCE]


class IncidentStatus(models.TextChoices):
    OPEN = "open", "处置中"
    CLOSED = "closed", "已结案"


class Incident(ScopedModel, TimeStamped):
    scope_resource = "incident"
    scope_domain_field = "domain"

    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="发生机构")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    domain = models.CharField("领域", max_length=10, choices=Domain.choices)
    type = models.CharField("事件类型", max_length=10, choices=IncidentType.choices)
    severity = models.CharField("事件等级", max_length=1, choices=IncidentSeverity.choices)
    occurred_at = models.DateTimeField("发生时间")
    reported_at = models.DateTimeField("报告时间", db_index=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name="报告人")
    people_affected = models.PositiveIntegerField("涉及人数", default=0)
    injured = models.PositiveIntegerField("受伤人数", default=0)
    deaths = models.PositiveIntegerField("死亡人数", default=0)
    description = models.TextField("事件经过")
    status = models.CharField("状态", max_length=8, choices=IncidentStatus.choices, default=IncidentStatus.OPEN,
                              db_index=True)
    level = models.CharField("报告层级", max_length=10, choices=IncidentLevel.choices)
    escalated_at = models.DateTimeField("最近升级时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closure_summary = models.TextField("处置结果", blank=True)
    liability = models.BooleanField("机构负有责任", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "突发事件"
        ordering = ["-reported_at", "-id"]

    def get_absolute_url(self) -> str:
        return reverse("supervision:incident_detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.institution} {self.get_type_display()} {self.reported_at:%Y-%m-%d}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)

    @property
    def handling_hours(self) -> float | None:
        if self.closed_at is None:
            return None
        return round((self.closed_at - self.reported_at).total_seconds() / 3600, 1)


class IncidentLog(ScopedModel):
    scope_parent = "incident"

    class Kind(models.TextChoices):
        REPORT = "report", "报告"
        ACTION = "action", "处置"
        ESCALATE = "escalate", "升级"
        RELOCATE = "relocate", "转移安置"
        CLOSE = "close", "结案"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="logs")
    at = models.DateTimeField("时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name="记录人")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    text = models.TextField("内容")

    class Meta:
        verbose_name = verbose_name_plural = "处置记录"
        ordering = ["incident_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class Relocation(ScopedModel):
    """A resident or child moved to another institution during an incident (discharge + admission)."""

    scope_parent = "incident"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="relocations")
    person_kind = models.CharField("对象", max_length=8, choices=[("elderly", "老年人"), ("infant", "婴幼儿")])
    person_id = models.PositiveBigIntegerField("人员编号")
    to_institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="+",
                                       verbose_name="安置机构")
    on = models.DateField("转移日期")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "转移安置"
        ordering = ["incident_id", "id"]

    def __str__(self) -> str:
        return f"{self.person_kind}:{self.person_id}→{self.to_institution_id}"

