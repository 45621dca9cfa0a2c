"""Planning: demand norms of a plan (需求标准), the project library (项目库) and residential areas under 四同步.

The engines (``ylyx.planning.engines``) know nothing of these models; services read the models, call the
engines and hand back plain rows.
"""

from __future__ import annotations

import datetime as dt

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.scoping import ScopedModel

from .engines.gaps import INDICATORS

INDICATOR_CHOICES = list(INDICATORS.items())
BASIS_CHOICES = [("population", "常住人口"), ("aged_60", "60岁及以上老年人"), ("aged_65", "65岁及以上老年人"),
                 ("aged_80", "80岁及以上老年人"), ("under_3", "3岁以下婴幼儿"), ("households", "户数"),
                 ("demand:beds", "养老床位需求"), ("supply:beds", "现有养老床位")]
DOMAIN_CHOICES = [("elder", "养老（民政）"), ("childcare", "托育（卫健）")]


class DemandNorm(ScopedModel):
    """需求标准: “``rate`` per ``per`` of ``basis`` need one unit of ``indicator``”, as a plan writes it."""

    scope_parent = "plan"

    plan = models.ForeignKey("indicators.Plan", on_delete=models.CASCADE, related_name="demand_norms",
                             verbose_name="规划")
    position = models.PositiveSmallIntegerField("排序", default=0)
    indicator = models.CharField("指标", max_length=20, choices=INDICATOR_CHOICES)
    basis = models.CharField("基数", max_length=20, choices=BASIS_CHOICES)
    rate = models.FloatField("标准值", validators=[MinValueValidator(0)])
    per = models.FloatField("每多少基数", default=1, validators=[MinValueValidator(0.0001)],
                            help_text="100 表示百分比，1000 表示每千人")
    label = models.CharField("说明", max_length=120, blank=True)
    source_text = models.TextField("原文", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "需求标准"
        ordering = ["plan_id", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(rate__gte=0) & Q(per__gt=0), name="norm_rate_per_valid")]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} {self.rate:g}/{self.per:g} {self.get_basis_display()}"

    def as_engine(self):
        from .engines.gaps import Norm

        return Norm(self.indicator, self.basis, self.rate, self.per, self.label)


class Stage(models.TextChoices):
    RESERVE = "reserve", "储备"
    STARTED = "started", "开工"
    BUILT = "built", "建成"
    OPERATING = "operating", "运营"


class Project(ScopedModel, TimeStamped):
    """项目库: a construction project and the capacity it adds from its completion date."""

    scope_resource = "project"
    scope_domain_field = "domain"

    name = models.CharField("项目名称", max_length=120)
    domain = models.CharField("领域", max_length=10, choices=DOMAIN_CHOICES, default="elder")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="所在区划")
    stage = models.CharField("阶段", max_length=10, choices=Stage.choices, default=Stage.RESERVE, db_index=True)
    beds = models.PositiveIntegerField("新增床位", default=0)
    nursing_beds = models.PositiveIntegerField("新增护理型床位", default=0)
    places = models.PositiveIntegerField("新增托位", default=0)
    floor_area = models.PositiveIntegerField("建筑面积（㎡）", default=0)
    investment = models.DecimalField("总投资（万元）", max_digits=12, decimal_places=1, null=True, blank=True)
    started_on = models.DateField("开工日期", null=True, blank=True)
    completion_due = models.DateField("计划建成日期", null=True, blank=True)
    completed_on = models.DateField("建成日期", null=True, blank=True)
    operating_on = models.DateField("运营日期", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    proposed_by_siting = models.BooleanField("选址测算提出", default=False)
    note = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "建设项目"
        ordering = ["region_id", "stage", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(nursing_beds__lte=models.F("beds")), name="project_nursing_lte_beds"),
        ]

    def __str__(self) -> str:
        return self.name

    def adds_by(self, on: dt.date) -> bool:
        """Whether the project's capacity counts on ``on``: built (or due) by then and not yet in the registry.

        Operating projects are registry institutions already (their beds are in the capacity records), so
        they never count twice.
        """
        if self.stage == Stage.OPERATING:
            return False
        when = self.completed_on or self.completion_due
        return when is not None and when <= on


class HandoverStatus(models.TextChoices):
    PLANNED = "planned", "同步规划"
    BUILT = "built", "同步建设"
    ACCEPTED = "accepted", "同步验收"
    DELIVERED = "delivered", "同步交付"


class ResidentialArea(ScopedModel, TimeStamped):
    """住宅小区 under 四同步: households and the elderly-care / childcare rooms planned and delivered."""

    scope_resource = "project"

    name = models.CharField("小区名称", max_length=120)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="所在区划")
    is_new = models.BooleanField("新建小区", default=True, help_text="否表示已建成老旧小区")
    households = models.PositiveIntegerField("户数")
    status = models.CharField("四同步进度", max_length=10, choices=HandoverStatus.choices,
                              default=HandoverStatus.PLANNED)
    elder_room_area = models.PositiveIntegerField("养老服务用房面积（㎡）", default=0)
    child_room_area = models.PositiveIntegerField("托育服务用房面积（㎡）", default=0)
    approved_on = models.DateField("规划批复日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "住宅小区配套"
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name
