"""Services to people: volunteers and the time bank (时间银行), family links with recorded consent, the
home and community service catalogue and orders (incl. 子女代下单).

Time bank: minutes are the unit. An account's balance changes only through :class:`LedgerEntry` rows written
by ``services`` with a unique ``key`` (exactly once) and a conditional UPDATE that never lets the balance go
below zero (also a database CHECK).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.pi import IdentityMixin
from ylyx.core.scoping import ScopedModel


class Volunteer(IdentityMixin, ScopedModel, TimeStamped):
    scope_resource = "timebank"

    region = models.ForeignKey("regions.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+")
    organisation = models.CharField("所属组织", max_length=80, blank=True)
    skills = models.CharField("服务技能", max_length=200, blank=True)
    registered_on = models.DateField("注册日期")
    elderly = models.ForeignKey("people.ElderlyPerson", verbose_name="本人为登记老年人", on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "志愿者"
        ordering = ["region_id", "id"]
        constraints = [models.UniqueConstraint(fields=["id_bidx"], condition=~Q(id_bidx=""),
                                               name="volunteer_id_unique")]

    def __str__(self) -> str:
        return self.name_masked


class FamilyLink(ScopedModel, TimeStamped):
    """A family member (子女 etc.) linked to an older person, with the person's consent recorded.

    The consent says what the member may do for the person: order services (``may_order``) and receive
    time-bank transfers are separate. Revoking ends it; nothing acts on a revoked or unconsented link.
    """

    scope_resource = "home_service"

    person = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.CASCADE,
                               related_name="family_links")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    member_name = models.CharField("家属姓名", max_length=50)
    relation = models.CharField("关系", max_length=10)
    member_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="家属账号", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="family_links")
    member_volunteer = models.ForeignKey(Volunteer, verbose_name="家属为志愿者", on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="family_links")
    may_order = models.BooleanField("同意代为下单", default=False)
    consent_on = models.DateField("同意日期", null=True, blank=True)
    consent_method = models.CharField("同意方式", max_length=40, blank=True)  # 书面签字, 当面确认并录像 …
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                            null=True, blank=True, related_name="+")
    revoked_on = models.DateField("撤回日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "家属关联"

    def __str__(self) -> str:
        return f"{self.relation}：{self.member_name[:1]}*"

    @property
    def consented(self) -> bool:
        return self.consent_on is not None and self.revoked_on is None


class TimeBankAccount(ScopedModel):
    scope_resource = "timebank"

    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    volunteer = models.OneToOneField(Volunteer, verbose_name="志愿者", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="account")
    person = models.OneToOneField("people.ElderlyPerson", verbose_name="老年人", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="timebank_account")
    balance = models.PositiveIntegerField("余额（分钟）", default=0)
    opened_on = models.DateField("开户日期", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "时间银行账户"
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="timebank_balance_not_negative"),
            models.CheckConstraint(condition=Q(volunteer__isnull=False) | Q(person__isnull=False),
                                   name="timebank_account_has_holder"),
        ]

    def __str__(self) -> str:
        return f"时间银行账户 {self.pk}"


class HoursStatus(models.TextChoices):
    RECORDED = "recorded", "待确认"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "未确认"


class ServiceHours(ScopedModel, TimeStamped):
    """志愿服务时长, confirmed by the served person (through an officer) or the served institution."""

    scope_resource = "timebank"

    volunteer = models.ForeignKey(Volunteer, verbose_name="志愿者", on_delete=models.PROTECT, related_name="hours")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    served_person = models.ForeignKey("people.ElderlyPerson", verbose_name="服务对象", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    served_institution = models.ForeignKey("institutions.Institution", verbose_name="服务机构",
                                           on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    served_on = models.DateField("服务日期")
    minutes = models.PositiveIntegerField("时长（分钟）")
    description = models.CharField("服务内容", max_length=200)
    status = models.CharField("状态", max_length=10, choices=HoursStatus.choices, default=HoursStatus.RECORDED)
    confirmed_by = models.CharField("确认人", max_length=60, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "志愿服务时长"
        ordering = ["-served_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lte=24 * 60),
                                              name="service_hours_minutes_range")]


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", "存入"
    WITHDRAW = "withdraw", "兑换服务"
    TRANSFER_OUT = "transfer_out", "转出"
    TRANSFER_IN = "transfer_in", "转入"


class LedgerEntry(ScopedModel):
    scope_parent = "account"

    account = models.ForeignKey(TimeBankAccount, verbose_name="账户", on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=14, choices=EntryKind.choices)
    minutes = models.IntegerField("分钟（存入为正）")
    balance_after = models.PositiveIntegerField("余额（分钟）")
    key = models.CharField("幂等键", max_length=80, unique=True)
    counterpart = models.ForeignKey(TimeBankAccount, verbose_name="对方账户", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    hours = models.OneToOneField(ServiceHours, verbose_name="服务时长", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="entry")
    memo = models.CharField("摘要", max_length=120, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "时间银行流水"
        ordering = ["account_id", "id"]


# --- home and community services -------------------------------------------------------------------------

class ServiceCategory(models.TextChoices):
    MEAL = "meal", "助餐"
    CLEAN = "clean", "助洁"
    BATH = "bath", "助浴"
    MEDICAL = "medical", "助医"
    WALK = "walk", "助行"
    REHAB = "rehab", "康复护理"
    COMFORT = "comfort", "精神慰藉"


class ServiceItem(ScopedModel):
    """A catalogue entry of a provider (an institution or service company registered as an institution)."""

    scope_resource = "home_service"

    region = models.ForeignKey("regions.Region", verbose_name="服务区划", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("institutions.Institution", verbose_name="服务商", on_delete=models.PROTECT,
                                 related_name="service_items")
    category = models.CharField("类别", max_length=10, choices=ServiceCategory.choices)
    name = models.CharField("服务项目", max_length=80)
    price = models.DecimalField("价格（元）", max_digits=8, decimal_places=2)
    unit = models.CharField("计价单位", max_length=10, default="次")
    active = models.BooleanField("在售", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "服务项目"
        ordering = ["category", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="service_item_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.name}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(provider_id=institution_id)


class OrderStatus(models.TextChoices):
    PLACED = "placed", "已下单"
    DISPATCHED = "dispatched", "已派单"
    IN_SERVICE = "in_service", "服务中"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已取消"


class OrderedBy(models.TextChoices):
    SELF = "self", "老年人本人"
    FAMILY = "family", "家属代下单"
    OFFICER = "officer", "工作人员"


class ServiceOrder(ScopedModel, TimeStamped):
    scope_resource = "home_service"

    person = models.ForeignKey("people.ElderlyPerson", verbose_name="服务对象", on_delete=models.PROTECT,
                               related_name="service_orders")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ServiceItem, verbose_name="服务项目", on_delete=models.PROTECT, related_name="orders")
    provider = models.ForeignKey("institutions.Institution", verbose_name="服务商", on_delete=models.PROTECT,
                                 related_name="service_orders")
    ordered_by = models.CharField("下单方式", max_length=8, choices=OrderedBy.choices)
    family_link = models.ForeignKey(FamilyLink, verbose_name="代下单家属", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="orders")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="下单账号", on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    wanted_on = models.DateField("预约日期")
    price = models.DecimalField("价格（元）", max_digits=8, decimal_places=2)
    status = models.CharField("状态", max_length=12, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    worker = models.CharField("服务人员", max_length=50, blank=True)
    checkin_at = models.DateTimeField("签到时间", null=True, blank=True)
    checkin_place = models.CharField("签到位置", max_length=60, blank=True)
    checkout_at = models.DateTimeField("签退时间", null=True, blank=True)
    rating = models.PositiveSmallIntegerField("评价（1–5）", null=True, blank=True)
    rating_comment = models.CharField("评价内容", max_length=200, blank=True)
    client_key = models.CharField("幂等键", max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "服务订单"
        ordering = ["-wanted_on", "-id"]
        indexes = [models.Index(fields=["region", "wanted_on"]), models.Index(fields=["provider", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="service_order_rating_range"),
            models.CheckConstraint(condition=~Q(ordered_by="family") | Q(family_link__isnull=False),
                                   name="service_order_family_needs_link"),
        ]

    def __str__(self) -> str:
        return f"订单 {self.pk}：{self.item}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(provider_id=institution_id)


# --- 家庭养老床位 -----------------------------------------------------------------------------------------

class CareLevel(models.TextChoices):
    """GB/T 42195-2022 能力等级 (0 能力完好 … 4 能力完全丧失)."""

    L0 = "0", "能力完好"
    L1 = "1", "能力轻度受损（轻度失能）"
    L2 = "2", "能力中度受损（中度失能）"
    L3 = "3", "能力重度受损（重度失能）"
    L4 = "4", "能力完全丧失（完全失能）"


class HomeCareBed(ScopedModel, TimeStamped):
    """家庭养老床位: a contract between an older person and a provider, with a care plan and devices."""

    scope_resource = "home_service"

    person = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.PROTECT,
                               related_name="home_care_beds")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("institutions.Institution", verbose_name="服务机构", on_delete=models.PROTECT,
                                 related_name="home_care_beds")
    care_level = models.CharField("能力等级", max_length=1, choices=CareLevel.choices)
    care_plan = models.TextField("照护计划")
    visits_per_month = models.PositiveSmallIntegerField("每月上门服务次数", default=4)
    devices = models.JSONField("智能设备", default=list, blank=True)
    started_on = models.DateField("签约日期")
    ended_on = models.DateField("终止日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "家庭养老床位"
        constraints = [models.UniqueConstraint(fields=["person"], condition=Q(ended_on__isnull=True),
                                               name="home_care_bed_one_open_per_person"),
                       models.CheckConstraint(condition=Q(visits_per_month__gte=1), name="home_care_bed_visits")]

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(provider_id=institution_id)


class HomeCareVisit(ScopedModel):
    scope_parent = "bed"

    bed = models.ForeignKey(HomeCareBed, verbose_name="床位", on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField("服务日期")
    minutes = models.PositiveIntegerField("时长（分钟）")
    worker = models.CharField("服务人员", max_length=50)
    items = models.CharField("服务内容", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "家庭养老床位上门服务"
        indexes = [models.Index(fields=["bed", "visited_on"])]


# --- 助餐 ---------------------------------------------------------------------------------------------

class MealPoint(ScopedModel):
    scope_resource = "home_service"

    region = models.ForeignKey("regions.Region", verbose_name="所在村（社区）", on_delete=models.PROTECT,
                               related_name="+")
    name = models.CharField("助餐点名称", max_length=80)
    institution = models.ForeignKey("institutions.Institution", verbose_name="运营机构", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="meal_points")
    seats = models.PositiveIntegerField("就餐座位", default=0)
    opened_on = models.DateField("开办日期")
    closed_on = models.DateField("停办日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "助餐点"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)


class MealDiner(ScopedModel):
    scope_parent = "point"

    point = models.ForeignKey(MealPoint, verbose_name="助餐点", on_delete=models.CASCADE, related_name="diners")
    person = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.CASCADE,
                               related_name="+")
    subsidised = models.BooleanField("享受助餐补贴", default=False)
    registered_on = models.DateField("登记日期")
    ended_on = models.DateField("退出日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "助餐登记"
        constraints = [models.UniqueConstraint(fields=["point", "person"], condition=Q(ended_on__isnull=True),
                                               name="meal_diner_once_per_point")]


class MealDailyCount(ScopedModel):
    scope_parent = "point"

    point = models.ForeignKey(MealPoint, verbose_name="助餐点", on_delete=models.CASCADE, related_name="counts")
    day = models.DateField("日期")
    meals = models.PositiveIntegerField("供餐人次")
    subsidised_meals = models.PositiveIntegerField("补贴餐人次", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "助餐日统计"
        constraints = [models.UniqueConstraint(fields=["point", "day"], name="meal_count_once_per_day"),
                       models.CheckConstraint(condition=Q(subsidised_meals__lte=models.F("meals")),
                                              name="meal_count_subsidised_within_meals")]


# --- 医养结合 -------------------------------------------------------------------------------------------

class MedicalPartner(ScopedModel):
    """A signed medical partner (签约医疗机构) of an elderly-care institution."""

    scope_resource = "home_service"

    institution = models.ForeignKey("institutions.Institution", verbose_name="养老机构", on_delete=models.CASCADE,
                                    related_name="medical_partners")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    partner_name = models.CharField("医疗机构", max_length=120)
    services = models.CharField("合作内容", max_length=200, blank=True)
    signed_on = models.DateField("签约日期")
    ended_on = models.DateField("终止日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "签约医疗机构"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)


class Referral(ScopedModel):
    """双向转诊: up (养老机构 → 医院) or down (医院 → 养老机构/居家)."""

    scope_resource = "home_service"

    person = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("institutions.Institution", verbose_name="养老机构", on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    hospital = models.CharField("医疗机构", max_length=120)
    direction = models.CharField("方向", max_length=4, choices=[("up", "上转（转往医院）"), ("down", "下转（转回机构/居家）")])
    referred_on = models.DateField("转诊日期")
    reason = models.CharField("原因", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "双向转诊"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)


class DoctorSignup(ScopedModel):
    """家庭医生签约 of an older person or an infant (one of the two)."""

    scope_resource = "home_service"

    region = models.ForeignKey("regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    elderly = models.ForeignKey("people.ElderlyPerson", verbose_name="老年人", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="+")
    infant = models.ForeignKey("people.Infant", verbose_name="婴幼儿", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    team = models.CharField("家庭医生团队", max_length=80)
    signed_on = models.DateField("签约日期")
    ended_on = models.DateField("解约日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "家庭医生签约"
        constraints = [models.CheckConstraint(condition=Q(elderly__isnull=False, infant__isnull=True)
                                              | Q(elderly__isnull=True, infant__isnull=False),
                                              name="doctor_signup_one_person")]
