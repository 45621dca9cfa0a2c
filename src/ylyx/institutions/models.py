"""养老机构, 社区养老服务设施 and 托育机构 in one table, with capacity history, classes, filings and service points.

One table, because every indicator and supervision task treats them alike (a registered place that
serves people in a region); ``kind`` and ``subtype`` carry the differences. Capacity changes are kept
as dated rows so indicators can be computed at any past date.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.scoping import ScopedModel


class Kind(models.TextChoices):
    ELDER = "elder", "养老机构"
    COMMUNITY = "community", "社区养老服务设施"
    CHILDCARE = "childcare", "托育机构"


class Subtype(models.TextChoices):
    # 养老机构
    TEKUN = "tekun", "特困供养机构/敬老院"
    PUBLIC = "public", "公办养老机构"
    PUBLIC_PRIVATE = "public_private", "公建民营养老机构"
    PRIVATE = "private", "民办养老机构"
    MEDICAL = "medical", "医养结合机构"
    # 社区养老服务设施
    STREET_CENTER = "street_center", "街道（乡镇）综合养老服务中心"
    DAY_CARE = "day_care", "社区养老服务站/日间照料中心"
    HAPPINESS = "happiness", "农村牧区互助幸福院"
    RURAL_STATION = "rural_station", "农村牧区养老服务站"
    MEAL = "meal", "老年餐桌/助餐点"
    # 托育机构
    CC_PUBLIC = "cc_public", "公办托育机构"
    CC_AFFORDABLE = "cc_affordable", "普惠托育机构"
    CC_PROFIT = "cc_profit", "营利性托育机构"
    CC_KINDERGARTEN = "cc_kindergarten", "幼儿园托班"
    CC_EMPLOYER = "cc_employer", "用人单位办托育点"
    CC_COMMUNITY = "cc_community", "社区托育点"
    CC_FAMILY = "cc_family", "家庭托育点"


SUBTYPES_BY_KIND = {
    Kind.ELDER: [Subtype.TEKUN, Subtype.PUBLIC, Subtype.PUBLIC_PRIVATE, Subtype.PRIVATE, Subtype.MEDICAL],
    Kind.COMMUNITY: [Subtype.STREET_CENTER, Subtype.DAY_CARE, Subtype.HAPPINESS, Subtype.RURAL_STATION,
                     Subtype.MEAL],
    Kind.CHILDCARE: [Subtype.CC_PUBLIC, Subtype.CC_AFFORDABLE, Subtype.CC_PROFIT, Subtype.CC_KINDERGARTEN,
                     Subtype.CC_EMPLOYER, Subtype.CC_COMMUNITY, Subtype.CC_FAMILY],
}


class LegalForm(models.TextChoices):
    PROFIT = "profit", "营利性"
    NONPROFIT = "nonprofit", "非营利性（社会服务机构）"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    GOVERNMENT = "government", "机关/村居委会"


class OperationMode(models.TextChoices):
    PUBLIC = "public", "公办公营"
    PUBLIC_PRIVATE = "public_private", "公建民营"
    PRIVATE = "private", "民办"


class Status(models.TextChoices):
    PLANNED = "planned", "筹建"
    OPERATING = "operating", "运营"
    SUSPENDED = "suspended", "暂停"
    CLOSED = "closed", "关停"


class MedicalService(models.TextChoices):
    NONE = "none", "无"
    INTERNAL = "internal", "内设医疗机构"
    CONTRACTED = "contracted", "签约医疗机构"


class Institution(ScopedModel, TimeStamped):
    scope_resource = "institution"
    scope_domain_field = "domain"

    name = models.CharField("机构名称", max_length=120)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices, db_index=True)
    subtype = models.CharField("类型", max_length=20, choices=Subtype.choices, db_index=True)
    domain = models.CharField("领域", max_length=10, editable=False, db_index=True,
                              help_text="elder（民政）或 childcare（卫健）")
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True, default="")
    legal_form = models.CharField("法人类型", max_length=20, choices=LegalForm.choices, default=LegalForm.NONPROFIT)
    operation_mode = models.CharField("运营方式", max_length=20, choices=OperationMode.choices,
                                      default=OperationMode.PRIVATE)
    region = models.ForeignKey("regions.Region", verbose_name="所在区划", on_delete=models.PROTECT,
                               related_name="institutions")
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    floor_area = models.DecimalField("建筑面积（㎡）", max_digits=10, decimal_places=1, null=True, blank=True)
    beds = models.PositiveIntegerField("床位数", default=0)
    nursing_beds = models.PositiveIntegerField("护理型床位数", default=0)
    places = models.PositiveIntegerField("托位数", default=0, help_text="各班级托位之和")
    affordable_places = models.PositiveIntegerField("普惠托位数", default=0)
    medical_service = models.CharField("医疗服务", max_length=12, choices=MedicalService.choices,
                                       default=MedicalService.NONE)
    monthly_fee_min = models.DecimalField("月收费下限（元）", max_digits=9, decimal_places=2, null=True, blank=True)
    monthly_fee_max = models.DecimalField("月收费上限（元）", max_digits=9, decimal_places=2, null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPERATING, db_index=True)
    opened_on = models.DateField("开业日期", null=True, blank=True)
    closed_on = models.DateField("关停日期", null=True, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "机构"
        ordering = ["region_id", "name"]
        indexes = [models.Index(fields=["region", "kind"]), models.Index(fields=["kind", "subtype"])]
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="institution_uscc_unique"),
            models.CheckConstraint(condition=Q(nursing_beds__lte=models.F("beds")), name="nursing_beds_lte_beds"),
            models.CheckConstraint(condition=Q(affordable_places__lte=models.F("places")),
                                   name="affordable_lte_places"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(pk=institution_id)

    def save(self, *args, **kwargs):
        self.domain = "childcare" if self.kind == Kind.CHILDCARE else "elder"
        super().save(*args, **kwargs)


class CapacityRecord(ScopedModel):
    """Beds and places from ``valid_from`` until the next record: what indicators read at a date."""
    scope_parent = "institution"


    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="capacity_history")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices)
    beds = models.PositiveIntegerField("床位数", default=0)
    nursing_beds = models.PositiveIntegerField("护理型床位数", default=0)
    places = models.PositiveIntegerField("托位数", default=0)
    affordable_places = models.PositiveIntegerField("普惠托位数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "床位托位变更记录"
        ordering = ["institution_id", "valid_from"]
        indexes = [models.Index(fields=["region", "valid_from"])]
        constraints = [
            # One open record per institution: "the capacity now" is never ambiguous.
            models.UniqueConstraint(fields=["institution"], condition=Q(valid_to__isnull=True),
                                    name="capacity_one_open_record"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                                   name="capacity_valid_to_after_from"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.valid_from}—{self.valid_to or ''}"


class ClassType(models.TextChoices):
    INFANT = "infant", "乳儿班（6—12个月）"
    JUNIOR = "junior", "托小班（12—24个月）"
    SENIOR = "senior", "托大班（24—36个月）"
    MIXED = "mixed", "混合编班（18个月以上）"


class ChildcareClass(ScopedModel):
    scope_parent = "institution"

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="classes")
    name = models.CharField("班级名称", max_length=50)
    class_type = models.CharField("班型", max_length=10, choices=ClassType.choices)
    places = models.PositiveIntegerField("托位数")
    affordable = models.BooleanField("普惠", default=False)
    caregivers = models.PositiveSmallIntegerField("保育人员数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "托育班级"
        unique_together = [("institution", "name")]

    def __str__(self) -> str:
        return f"{self.institution} {self.name}"

    @property
    def region_id(self) -> str:
        """The institution's region, so audit events about a class are found by region."""
        return self.institution.region_id


class ServicePoint(ScopedModel):
    """一照多址: additional service addresses under the same licence."""
    scope_parent = "institution"


    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="service_points")
    name = models.CharField("服务点名称", max_length=120)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "服务点"
        unique_together = [("institution", "name")]

    def __str__(self) -> str:
        return self.name


class FilingStatus(models.TextChoices):
    SUBMITTED = "submitted", "已提交"
    RECEIVED = "received", "已受理"
    RETURNED = "returned", "退回补正"
    FILED = "filed", "已备案"
    CHANGED = "changed", "变更备案"
    CANCELLED = "cancelled", "注销备案"


FILING_TRANSITIONS = {
    FilingStatus.SUBMITTED: {FilingStatus.RECEIVED, FilingStatus.RETURNED},
    FilingStatus.RECEIVED: {FilingStatus.FILED, FilingStatus.RETURNED},
    FilingStatus.RETURNED: {FilingStatus.SUBMITTED},
    FilingStatus.FILED: {FilingStatus.CHANGED, FilingStatus.CANCELLED},
    FilingStatus.CHANGED: {FilingStatus.CHANGED, FilingStatus.CANCELLED},
    FilingStatus.CANCELLED: set(),
}
FILED_STATES = {FilingStatus.FILED, FilingStatus.CHANGED}


class Filing(ScopedModel):
    """备案: one per institution, with its status history in FilingEvent."""
    scope_parent = "institution"


    institution = models.OneToOneField(Institution, on_delete=models.CASCADE, related_name="filing")
    status = models.CharField("备案状态", max_length=12, choices=FilingStatus.choices, default=FilingStatus.SUBMITTED)
    number = models.CharField("备案号", max_length=40, blank=True)
    submitted_on = models.DateField("提交日期")
    filed_on = models.DateField("备案日期", null=True, blank=True)
    cancelled_on = models.DateField("注销日期", null=True, blank=True)
    authority = models.CharField("备案机关", max_length=60, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "备案"
        constraints = [models.UniqueConstraint(fields=["number"], condition=~Q(number=""),
                                               name="filing_number_unique")]

    def __str__(self) -> str:
        return f"{self.institution} {self.get_status_display()}"

    @property
    def region_id(self) -> str:
        """The institution's region, so audit events about a filing are found by region."""
        return self.institution.region_id


class FilingEvent(ScopedModel):
    scope_parent = "filing"

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="events")
    status = models.CharField("状态", max_length=12, choices=FilingStatus.choices)
    on = models.DateField("日期")
    reason = models.TextField("说明/退回理由", blank=True)
    by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name="经办人")

    class Meta:
        verbose_name = verbose_name_plural = "备案记录"
        ordering = ["filing_id", "on", "id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.on}"
