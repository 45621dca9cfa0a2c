"""规划 (Plan), its 指标 (PlanIndicator) with yearly milestones, the indicator catalogue, and 部门填报 values.

A plan's indicators are kept exactly as the document writes them (name, baseline and target text);
``definition`` links a row to a catalogue entry when the registry can compute it. Rows the registry
cannot compute get their values from departments (ReportedValue), through an approval workflow.
"""

from __future__ import annotations

import builtins
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.permissions import Action
from ylyx.core.scoping import ScopedManager, ScopedModel, ScopedQuerySet, prefix_q
from ylyx.regions.models import PREFIX_LEN, level_of


def ancestor_codes(code12: str) -> list[str]:
    """The 12-digit codes of the regions above ``code12`` (province, city, county, town)."""
    level = level_of(code12)
    return [code12[:n].ljust(12, "0") for lv, n in sorted(PREFIX_LEN.items()) if lv < level]


class PlanQuerySet(ScopedQuerySet):
    def for_user(self, user, action: Action = "view"):
        """Viewing (and exporting): plans of the user's subtree and of the regions above it (a county reads
        the city's plan). Every other action keeps the owner-region rule of :class:`ScopedQuerySet`.
        """
        if action not in ("view", "export"):
            return super().for_user(user, action)
        from ylyx.core.permissions import allows

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not allows(user.role, Plan.scope_resource, action) or user.role == "operator":
            return self.none()
        prefix = user.region_prefix
        if not prefix:
            return self.none()
        return self.filter(prefix_q("region_code", prefix) | Q(region_code__in=ancestor_codes(user.region_id)))


class PlanManager(ScopedManager.from_queryset(PlanQuerySet)):  # type: ignore[misc]
    pass


class Plan(ScopedModel, TimeStamped):
    scope_resource = "indicator"
    scope_region_field = "owner_region_code"

    code = models.SlugField("规划代码", max_length=60, unique=True)
    title = models.CharField("规划名称", max_length=200)
    issuer = models.CharField("发文机关", max_length=100, blank=True)
    doc_number = models.CharField("文号", max_length=60, blank=True)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    region_code = models.CharField("规划区划代码", max_length=12, db_index=True)
    region_name = models.CharField("规划区划", max_length=100, blank=True)
    owner_region_code = models.CharField("管理区划代码", max_length=12, db_index=True,
                                         help_text="谁可以修改此规划：该区划及其上级的工作人员")
    period_start = models.PositiveSmallIntegerField("规划期起", null=True, blank=True)
    period_end = models.PositiveSmallIntegerField("规划期止", null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField("基期年份", null=True, blank=True)
    source_file = models.CharField("原文文件", max_length=100, blank=True)
    is_seed = models.BooleanField("原文规划", default=False, help_text="随平台发布的规划原文数据，指标值不可修改")
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="copies", verbose_name="复制自")
    facts = models.JSONField("基本情况数据", default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="创建人")

    objects: ClassVar[PlanManager] = PlanManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "规划"
        ordering = ["region_code", "code"]

    def __str__(self) -> str:
        return f"{self.region_name}{self.title}" if self.region_name and self.region_name not in self.title \
            else self.title

    @property
    def region_prefix(self) -> str:
        return self.region_code[: PREFIX_LEN[level_of(self.region_code)]]

    @property
    def region_id(self) -> str:
        """The owning region, so audit events about a plan are found by region like any other record."""
        return self.owner_region_code

    @property
    def first_year(self) -> int:
        """The first year of the trend: the baseline year, else the year before the plan period."""
        if self.baseline_year:
            return self.baseline_year
        return (self.period_start - 1) if self.period_start else 2020


class IndicatorDefinition(models.Model):
    """指标口径: how a value is obtained, computed from the registry or reported by a department."""

    class Kind(models.TextChoices):
        COMPUTED = "computed", "系统计算"
        REPORTED = "reported", "部门填报"

    code = models.SlugField("口径代码", max_length=60, unique=True)
    name = models.CharField("指标名称", max_length=120)
    unit = models.CharField("单位", max_length=10, blank=True)
    kind = models.CharField("来源", max_length=10, choices=Kind.choices, default=Kind.REPORTED)
    formula = models.TextField("计算口径", blank=True)
    numerator = models.CharField("分子指标", max_length=40, blank=True)
    denominator = models.CharField("分母指标", max_length=40, blank=True)
    factor = models.FloatField("系数", default=1)
    department = models.CharField("责任部门", max_length=60, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "指标口径"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Comparator(models.TextChoices):
    GE = ">=", "≥"
    GT = ">", ">"
    LE = "<=", "≤"
    LT = "<", "<"
    EQ = "=", "="


class PlanIndicator(ScopedModel):
    """One row of a plan's indicator table, as written in the document (name, texts and values)."""
    scope_parent = "plan"


    class Source(models.TextChoices):
        TABLE = "table", "指标表"
        PROSE = "prose", "正文"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name="规划")
    position = models.PositiveSmallIntegerField("排序", default=0)
    key = models.CharField("行键", max_length=40,
                           help_text="序号在规划内唯一时即序号，否则为“类别-序号”（如雅安的分类编号）")
    category = models.CharField("类别", max_length=20, blank=True)
    seq = models.CharField("序号", max_length=10)
    name = models.CharField("指标名称", max_length=200)
    unit = models.CharField("单位", max_length=10, blank=True)
    # null = the document gives nothing; "—" = the document prints a dash: kept apart, as transcribed
    baseline_text = models.CharField("基期值（原文）", max_length=60, blank=True, null=True)  # noqa: DJ001
    baseline_value = models.FloatField("基期值", null=True, blank=True)
    target_text = models.CharField("目标值（原文）", max_length=60, blank=True, null=True)  # noqa: DJ001
    target_value = models.FloatField("目标值", null=True, blank=True)
    comparator = models.CharField("比较方式", max_length=2, choices=Comparator.choices, null=True,  # noqa: DJ001
                                  blank=True)
    target_year = models.PositiveSmallIntegerField("目标年份", null=True, blank=True)
    property = models.CharField("属性", max_length=10, blank=True, help_text="约束性 / 预期性")
    departments = models.JSONField("责任部门", default=list, blank=True)
    source = models.CharField("出处", max_length=10, choices=Source.choices, default=Source.TABLE)
    quote = models.TextField("原文", blank=True, null=True)  # noqa: DJ001
    catalogue = models.CharField("口径代码（原文数据）", max_length=60, blank=True)
    definition = models.ForeignKey(IndicatorDefinition, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="plan_indicators", verbose_name="指标口径")
    intensive = models.BooleanField("比率型", default=True,
                                    help_text="比率型指标的目标适用于下级区划；总量型只适用于规划区划本身")

    class Meta:
        verbose_name = verbose_name_plural = "规划指标"
        ordering = ["plan_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "category", "seq"], name="planindicator_category_seq_unique"),
            models.UniqueConstraint(fields=["plan", "key"], name="planindicator_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.name}"

    @builtins.property  # the field ``property`` (约束性/预期性) shadows the builtin here
    def effective_target_year(self) -> int | None:
        return self.target_year or self.plan.period_end

    @builtins.property
    def is_binding(self) -> bool:
        return self.property == "约束性"

    @builtins.property
    def is_computed(self) -> bool:
        return self.definition is not None and self.definition.kind == IndicatorDefinition.Kind.COMPUTED


class Milestone(ScopedModel):
    """The value expected at a year's end on the way from the baseline to the target."""
    scope_parent = "indicator"


    indicator = models.ForeignKey(PlanIndicator, on_delete=models.CASCADE, related_name="milestones",
                                  verbose_name="规划指标")
    year = models.PositiveSmallIntegerField("年份")
    value = models.FloatField("年度目标值")
    edited = models.BooleanField("人工调整", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "年度目标"
        ordering = ["indicator_id", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="milestone_year_unique")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}: {self.value}"


class ReportedStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    APPROVED = "approved", "已审核"
    PUBLISHED = "published", "已发布"
    RETURNED = "returned", "已退回"


class ReportedValue(ScopedModel, TimeStamped):
    """部门填报: a department's figure for an indicator, a region and a year, approved before it counts."""

    scope_resource = "reported_value"

    definition = models.ForeignKey(IndicatorDefinition, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="reported_values", verbose_name="指标口径")
    plan_indicator = models.ForeignKey(PlanIndicator, null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="reported_values", verbose_name="规划指标")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    year = models.PositiveSmallIntegerField("年份")
    value = models.FloatField("数值")
    department = models.CharField("填报部门", max_length=60)
    status = models.CharField("状态", max_length=10, choices=ReportedStatus.choices, default=ReportedStatus.DRAFT,
                              db_index=True)
    comment = models.TextField("说明/退回意见", blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="填报人")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="审核人")
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="发布人")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="退回人")
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "部门填报值"
        ordering = ["-year", "region_id", "id"]
        indexes = [models.Index(fields=["region", "year"]), models.Index(fields=["status", "year"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(definition__isnull=True) & Q(plan_indicator__isnull=False))
                | (Q(definition__isnull=False) & Q(plan_indicator__isnull=True)),
                name="reportedvalue_one_target"),
            models.UniqueConstraint(fields=["plan_indicator", "region", "year"],
                                    condition=Q(plan_indicator__isnull=False), name="reportedvalue_pi_unique"),
            models.UniqueConstraint(fields=["definition", "region", "year"],
                                    condition=Q(definition__isnull=False), name="reportedvalue_def_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_name} {self.region_id} {self.year}"

    @property
    def indicator_name(self) -> str:
        if self.plan_indicator is not None:
            return self.plan_indicator.name
        return self.definition.name if self.definition is not None else ""

    @property
    def editable(self) -> bool:
        return self.status in (ReportedStatus.DRAFT, ReportedStatus.RETURNED)


class ReportJobQuerySet(ScopedQuerySet):
    def for_user(self, user, action: Action = "view"):
        """A report is an export: seeing a job needs the export right on indicators, its region in scope and
        its plan visible. Nobody changes or deletes jobs through the pages; the sweeper expires them.
        """
        if action not in ("view", "export"):
            return self.none()
        qs = super().for_user(user, "export")
        return qs.filter(plan__in=Plan.objects.for_user(user, "export").values("pk"))


class ReportJobManager(ScopedManager.from_queryset(ReportJobQuerySet)):  # type: ignore[misc]
    pass


class ReportJob(ScopedModel):
    """One press of “生成年度报告”: the background task's progress and the files it produced."""

    scope_resource = "indicator"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        ERROR = "error", "失败"
        EXPIRED = "expired", "已过期"

    IN_PROGRESS: ClassVar[tuple[str, ...]] = (Status.QUEUED, Status.RUNNING)

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="report_jobs", verbose_name="规划")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    year = models.PositiveSmallIntegerField("报告年度")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="申请人")
    task_id = models.CharField("后台任务编号", max_length=64, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    pdf_path = models.CharField("PDF 文件", max_length=500, blank=True)
    xlsx_path = models.CharField("Excel 文件", max_length=500, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects: ClassVar[ReportJobManager] = ReportJobManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = verbose_name_plural = "年度报告任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["plan", "region", "year"])]

    def __str__(self) -> str:
        return f"{self.plan} {self.region_id} {self.year}年度报告 #{self.pk}"

    @builtins.property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS

    @builtins.property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE
