"""探访关爱: who must be visited (a rule over registry fields, per region), monthly tasks, visits, follow-ups.

A :class:`VisitRule` is data: the registry values that make an older person 特殊困难 (独居/空巢/留守/孤寡,
特困/低保, 残疾等级, 计划生育特殊家庭) and a minimum age, attached to a region; the most specific active rule
covering a person's region decides. Tasks are generated per month set-based (``services.generate_month``),
one per person and month (unique), and assigned by :class:`VisitorArea`. A :class:`Visit` carries the
client's UUID so an offline phone that sends it twice still stores it once.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.scoping import ScopedModel


class VisitRule(ScopedModel, TimeStamped):
    scope_resource = "visit"

    region = models.ForeignKey("regions.Region", verbose_name="适用区划", on_delete=models.PROTECT,
                               related_name="visit_rules")
    name = models.CharField("规则名称", max_length=80)
    living_situations = models.JSONField("居住情况（任一）", default=list, blank=True)
    economic_statuses = models.JSONField("经济状况（任一）", default=list, blank=True)
    disability_grades = models.JSONField("残疾等级（任一）", default=list, blank=True)
    special_family = models.BooleanField("计划生育特殊家庭", default=False)
    age_always = models.PositiveSmallIntegerField("高龄：达到该年龄即须探访", null=True, blank=True)
    min_age = models.PositiveSmallIntegerField("最低年龄", default=60)
    visits_per_month = models.PositiveSmallIntegerField("每月探访次数", default=1)
    due_day = models.PositiveSmallIntegerField("当月完成日（日）", default=25)
    exclude_in_institution = models.BooleanField("不含入住机构者", default=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "探访规则"
        ordering = ["region_id", "id"]
        constraints = [models.UniqueConstraint(fields=["region"], condition=Q(active=True),
                                               name="visit_rule_one_active_per_region"),
                       models.CheckConstraint(condition=Q(due_day__gte=1, due_day__lte=28),
                                              name="visit_rule_due_day_range"),
                       models.CheckConstraint(condition=Q(visits_per_month__gte=1),
                                              name="visit_rule_visits_positive")]

    def __str__(self) -> str:
        return self.name


class VisitorArea(ScopedModel):
    """A visitor (网格员, town officer, volunteer with an account) responsible for a town or village."""

    scope_resource = "visit"

    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="探访人员", on_delete=models.CASCADE,
                                related_name="visit_areas")
    region = models.ForeignKey("regions.Region", verbose_name="负责区划", on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "探访责任区"
        constraints = [models.UniqueConstraint(fields=["region"], name="visitor_area_one_per_region")]

    def __str__(self) -> str:
        return f"{self.visitor} · {self.region_id}"


class TaskStatus(models.TextChoices):
    PENDING = "pending", "待探访"
    DONE = "done", "已探访"
    CANCELLED = "cancelled", "已取消"


class VisitTask(ScopedModel):
    scope_resource = "visit"

    person = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.CASCADE,
                               related_name="visit_tasks")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("月份")  # the first day of the month
    rule = models.ForeignKey(VisitRule, verbose_name="规则", on_delete=models.PROTECT, related_name="tasks")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="探访人员", on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="visit_tasks")
    due_on = models.DateField("完成期限")
    required = models.PositiveSmallIntegerField("应探访次数", default=1)
    done_count = models.PositiveSmallIntegerField("已探访次数", default=0)
    status = models.CharField("状态", max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    created_at = models.DateTimeField("生成时间")

    class Meta:
        verbose_name = verbose_name_plural = "探访任务"
        ordering = ["due_on", "region_id", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="visit_task_person_month")]
        indexes = [models.Index(fields=["region", "month"]), models.Index(fields=["assignee", "month", "status"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} 探访：{self.person}"

    def overdue_on(self, today: dt.date) -> bool:
        return self.status == TaskStatus.PENDING and self.due_on < today


class Mode(models.TextChoices):
    HOME = "home", "入户探访"
    PHONE = "phone", "电话探访"
    VIDEO = "video", "视频探访"


class Risk(models.TextChoices):
    HEALTH = "health", "健康状况变差"
    SAFETY = "safety", "居住安全隐患"
    LIVING = "living", "生活无人照料"
    MENTAL = "mental", "精神状况异常"
    FINANCE = "finance", "经济困难"


# the follow-up each risk opens
FOLLOW_UP_FOR_RISK = {"health": "assessment", "living": "home_service", "safety": "home_service",
                      "mental": "home_service", "finance": "assistance"}


class Visit(ScopedModel):
    scope_resource = "visit"

    client_uuid = models.UUIDField("客户端编号", default=uuid.uuid4, unique=True)
    task = models.ForeignKey(VisitTask, verbose_name="任务", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="visits")
    person = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.CASCADE,
                               related_name="visits")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="探访人员", on_delete=models.PROTECT,
                                related_name="visits")
    visited_on = models.DateField("探访日期")
    mode = models.CharField("方式", max_length=8, choices=Mode.choices, default=Mode.HOME)
    health = models.CharField("健康状况", max_length=300, blank=True)
    safety = models.CharField("安全状况", max_length=300, blank=True)
    living = models.CharField("生活状况", max_length=300, blank=True)
    needs = models.CharField("需求", max_length=300, blank=True)
    risks = models.JSONField("风险", default=list, blank=True)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)
    synced_offline = models.BooleanField("离线录入后同步", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "探访记录"
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["region", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d} {self.get_mode_display()}：{self.person}"


class FollowUpKind(models.TextChoices):
    ASSESSMENT = "assessment", "能力评估"
    HOME_SERVICE = "home_service", "居家服务转介"
    ASSISTANCE = "assistance", "救助帮扶"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "待处理"
    CLOSED = "closed", "已办结"


class FollowUp(ScopedModel):
    scope_resource = "visit"

    visit = models.ForeignKey(Visit, verbose_name="探访", on_delete=models.CASCADE, related_name="followups")
    person = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.CASCADE,
                               related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("跟进事项", max_length=14, choices=FollowUpKind.choices)
    reason = models.CharField("原因", max_length=200, blank=True)
    due_on = models.DateField("期限")
    status = models.CharField("状态", max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    result = models.CharField("处理结果", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "探访跟进"
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "kind"], name="visit_followup_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.person}"
