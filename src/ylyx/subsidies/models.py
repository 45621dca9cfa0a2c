"""补贴: programmes as data, construction applications, monthly batches, one ledger, recoveries, absences.

The ledger is the only record of money paid. Its unique keys make a second payment impossible whatever
the code path: ``(programme, payee, period)`` (exactly once) and ``(slot, payee, period)``, where ``slot``
is the programme's mutually-exclusive group or its code (so two programmes of one group, or two versions
of one programme, never both pay one payee for one period).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.permissions import allows
from ylyx.core.scoping import ScopedManager, ScopedModel, ScopedQuerySet, prefix_q


class Category(models.TextChoices):
    ELDER_INSTITUTION = "elder_institution", "养老机构补贴"
    CHILDCARE_INSTITUTION = "childcare_institution", "托育机构补贴"
    PERSONAL = "personal", "老年人个人补贴"


class PayeeKind(models.TextChoices):
    PERSON = "person", "个人"
    INSTITUTION = "institution", "机构（按月）"
    APPLICATION = "application", "机构（建设补助申请）"


class PeriodKind(models.TextChoices):
    MONTHLY = "monthly", "按月"
    ONE_OFF = "one_off", "一次性"


def _ancestors(code: str) -> list[str]:
    return [code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)]


class ProgrammeQuerySet(ScopedQuerySet):
    def for_user(self, user: Any, action: Any = "view"):
        """Programmes are a city's policy: everyone with subsidy rights under the city reads them; only users
        whose scope contains the programme's region (the city departments) change them."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not allows(user.role, "subsidy", action):
            return self.none()
        if user.role == "operator":
            inst = getattr(user, "institution", None)
            code = inst.region_id if inst is not None else ""
        else:
            code = user.region_id or ""
        if not code:
            return self.none()
        if user.role == "operator":  # operators read their city's programmes, never change them
            return self.filter(region_id__in=_ancestors(code)) if action == "view" else self.none()
        cond = prefix_q("region_id", user.region_prefix)
        if action == "view":
            cond |= Q(region_id__in=_ancestors(code))
        return self.filter(cond)


class ProgrammeManager(ScopedManager.from_queryset(ProgrammeQuerySet)):  # type: ignore[misc]
    pass


class Programme(ScopedModel, TimeStamped):
    """A subsidy programme: who is eligible (a rule over registry facts), how much, how often, since when."""

    scope_resource = "subsidy"
    objects = ProgrammeManager()  # type: ignore[misc]

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="发布区划")
    code = models.CharField("项目代码", max_length=40)
    name = models.CharField("项目名称", max_length=80)
    category = models.CharField("类别", max_length=24, choices=Category.choices)
    payee = models.CharField("发放对象", max_length=12, choices=PayeeKind.choices)
    period = models.CharField("发放周期", max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTHLY)
    eligibility = models.JSONField("资格条件", default=dict, blank=True)
    amount = models.JSONField("金额规则")
    exclusive_group = models.CharField("互斥组", max_length=40, blank=True,
                                       help_text="同组项目同一对象同一期只发一项")
    priority = models.SmallIntegerField("互斥优先级", default=0)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    document = models.CharField("政策依据（发文）", max_length=200)
    confidence = models.CharField("核实情况", max_length=4, blank=True,
                                  help_text="V 已核实原文 / S 二手来源 / U 待核实（演示金额）")
    note = models.TextField("说明", blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "补贴项目"
        ordering = ["region_id", "category", "code", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code", "effective_from"], name="programme_version_unique"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="programme_effective_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def slot(self) -> str:
        return self.exclusive_group or self.code

    def spec(self):
        from .rules import Programme as Spec

        return Spec(self.pk, self.code, self.payee, self.eligibility, self.amount, self.exclusive_group, self.priority)


class BuildKind(models.TextChoices):
    NEW = "new", "新建"
    RENOVATED = "renovated", "改扩建/购置改造"
    LEASED = "leased", "租赁（合同5年以上）"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "已提交，待旗县区审核"
    REVIEWED = "reviewed", "旗县区已审核，待市级审批"
    RETURNED = "returned", "退回补正"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予批准"
    PAID = "paid", "已发放"


class ConstructionApplication(ScopedModel, TimeStamped):
    """一次性建设补助申请: beds or places added, with evidence; county review, then city approval."""

    scope_resource = "subsidy"

    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT,
                                    related_name="subsidy_applications", verbose_name="机构")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications",
                                  verbose_name="补贴项目")
    build_kind = models.CharField("建设方式", max_length=12, choices=BuildKind.choices)
    urban = models.BooleanField("城市（否则为农村）", default=True)
    units = models.PositiveIntegerField("新增床位/托位数")
    lease_years = models.PositiveSmallIntegerField("租赁年限", null=True, blank=True)
    capacity_record = models.ForeignKey("institutions.CapacityRecord", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+", verbose_name="床位托位变更记录")
    evidence = models.TextField("佐证材料说明", help_text="备案回执、竣工验收、租赁合同等")
    status = models.CharField("状态", max_length=12, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED, db_index=True)
    amount = models.DecimalField("核定金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    basis = models.CharField("计算依据", max_length=200, blank=True)
    submitted_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="申请人")
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="旗县区审核人")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    approved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="市级审批人")
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    comment = models.CharField("审核意见", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "建设补助申请"
        ordering = ["-id"]
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self) -> str:
        return f"建设补助申请 #{self.pk}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)

    def facts(self) -> dict[str, Any]:
        inst = self.institution
        return {"build_kind": self.build_kind, "urban": self.urban, "units": self.units,
                "lease_years": self.lease_years or 0, "kind": inst.kind, "subtype": inst.subtype,
                "status": inst.status, "beds": inst.beds, "places": inst.places,
                "rate_key": f"{'urban' if self.urban else 'rural'}_{self.build_kind}"
                if inst.kind == "childcare" else self.build_kind}


class BatchStatus(models.TextChoices):
    COMPUTED = "computed", "已计算，待审批"
    PAYING = "paying", "已批准，写入台账中"
    PAID = "paid", "已发放"


class Batch(ScopedModel, TimeStamped):
    """A month's payments for a region: computed from the registry at month end, diffed, approved, paid."""

    scope_resource = "subsidy"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    period = models.CharField("期间", max_length=7, help_text="YYYY-MM")
    month_end = models.DateField("计算基准日（月末）")
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.COMPUTED,
                              db_index=True)
    computed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="计算人")
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    approved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name="审批人")
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    paid_at = models.DateTimeField("入账完成时间", null=True, blank=True)
    lines_count = models.PositiveIntegerField("明细数", default=0)
    persons = models.PositiveIntegerField("个人数", default=0)
    institutions = models.PositiveIntegerField("机构数", default=0)
    total = models.DecimalField("应发金额（元）", max_digits=14, decimal_places=2, default=0)
    paid_total = models.DecimalField("入账金额（元）", max_digits=14, decimal_places=2, default=0)
    new_count = models.PositiveIntegerField("新增", default=0)
    changed_count = models.PositiveIntegerField("变更", default=0)
    stopped_count = models.PositiveIntegerField("停发", default=0)
    flagged_count = models.PositiveIntegerField("提示", default=0)
    skipped_count = models.PositiveIntegerField("已由其他批次发放", default=0)
    seconds = models.FloatField("计算耗时（秒）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "月度发放批次"
        ordering = ["-period", "region_id"]
        constraints = [models.UniqueConstraint(fields=["region", "period"], name="batch_region_period_unique")]

    def __str__(self) -> str:
        return f"{self.period} 发放批次"


class Change(models.TextChoices):
    NEW = "new", "新增"
    SAME = "same", "持续"
    CHANGED = "changed", "金额变更"
    STOPPED = "stopped", "停发"


class BatchLine(ScopedModel):
    scope_parent = "batch"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="lines")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    payee_key = models.CharField("发放对象键", max_length=24)
    person = models.ForeignKey("people.ElderlyPerson", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", db_constraint=False)
    institution = models.ForeignKey("institutions.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", db_constraint=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    previous_amount = models.DecimalField("上月金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    units = models.PositiveIntegerField("数量", null=True, blank=True)
    basis = models.CharField("计算依据", max_length=200, blank=True)
    change = models.CharField("与上月比", max_length=8, choices=Change.choices)
    reason = models.CharField("原因", max_length=200, blank=True)
    flags = models.CharField("提示", max_length=200, blank=True)
    skipped = models.BooleanField("已由其他批次发放", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "批次明细"
        indexes = [models.Index(fields=["batch", "change"])]

    def __str__(self) -> str:
        return f"{self.payee_key} {self.amount}"


class LedgerStatus(models.TextChoices):
    PAID = "paid", "已发放"
    RECOVERY = "recovery", "追缴中"
    RECOVERED = "recovered", "已追回"


class LedgerEntry(ScopedModel):
    """One payment. Never updated except its status; never deleted."""

    scope_resource = "subsidy"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="ledger", verbose_name="项目")
    slot = models.CharField("互斥键", max_length=40)
    payee_key = models.CharField("发放对象键", max_length=24)
    person = models.ForeignKey("people.ElderlyPerson", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="subsidy_ledger", verbose_name="老年人")
    institution = models.ForeignKey("institutions.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="subsidy_ledger", verbose_name="机构")
    application = models.ForeignKey(ConstructionApplication, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="ledger", verbose_name="建设补助申请")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    period = models.CharField("期间", max_length=10, help_text="YYYY-MM；一次性补助为 A+申请号")
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    basis = models.CharField("计算依据", max_length=200, blank=True)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger",
                              verbose_name="批次")
    status = models.CharField("状态", max_length=10, choices=LedgerStatus.choices, default=LedgerStatus.PAID)
    created_at = models.DateTimeField("入账时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "补贴台账"
        ordering = ["-period", "id"]
        indexes = [models.Index(fields=["region", "period"]), models.Index(fields=["person", "period"]),
                   models.Index(fields=["batch"])]
        constraints = [
            models.UniqueConstraint(fields=["programme", "payee_key", "period"], name="ledger_exactly_once"),
            models.UniqueConstraint(fields=["slot", "payee_key", "period"], name="ledger_exclusive_slot"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="ledger_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"台账 #{self.pk} {self.period}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)


class RecoveryStatus(models.TextChoices):
    OPEN = "open", "待追缴"
    RECOVERED = "recovered", "已追回"
    WAIVED = "waived", "核销"


class Recovery(ScopedModel, TimeStamped):
    """追缴: a payment made for a period after the payee's death or move-out (or otherwise not due)."""

    scope_resource = "subsidy"

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="recovery",
                                 verbose_name="台账记录")
    person = models.ForeignKey("people.ElderlyPerson", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name="老年人")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    amount = models.DecimalField("追缴金额（元）", max_digits=12, decimal_places=2)
    reason = models.CharField("原因", max_length=200)
    status = models.CharField("状态", max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN)
    closed_on = models.DateField("办结日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "追缴"
        ordering = ["status", "-id"]

    def __str__(self) -> str:
        return f"追缴 #{self.pk}"


class Absence(ScopedModel, TimeStamped):
    """An institution's resident away (hospital, home visit): 15 days or more in a month is flagged."""

    scope_resource = "subsidy"

    residence = models.ForeignKey("people.Residence", on_delete=models.PROTECT, related_name="absences",
                                  verbose_name="入住记录")
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="机构")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    started_on = models.DateField("离院日期")
    ended_on = models.DateField("返院日期", null=True, blank=True)
    reason = models.CharField("原因", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "在院老人离院记录"
        ordering = ["-started_on"]
        indexes = [models.Index(fields=["institution", "started_on"])]
        constraints = [models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                                              name="absence_end_after_start")]

    def __str__(self) -> str:
        return f"离院 {self.started_on}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)
