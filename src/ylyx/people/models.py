"""老年人 and 婴幼儿, and where they are served: 入住 (Residence) and 入托 (Enrolment), each with dates."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.pi import IdentityMixin
from ylyx.core.scoping import ScopedModel


class LivingSituation(models.TextChoices):
    WITH_FAMILY = "with_family", "与家人同住"
    ALONE = "alone", "独居"
    EMPTY_NEST = "empty_nest", "空巢"
    LEFT_BEHIND = "left_behind", "留守"
    WIDOWED_CHILDLESS = "gugua", "孤寡"


class EconomicStatus(models.TextChoices):
    NORMAL = "normal", "一般"
    TEKUN = "tekun", "特困"
    DIBAO = "dibao", "低保"
    DIBAO_EDGE = "dibao_edge", "低保边缘"
    HARDSHIP = "hardship", "经济困难"


class Disability(models.TextChoices):
    NONE = "none", "无"
    GRADE1 = "1", "一级残疾"
    GRADE2 = "2", "二级残疾"
    GRADE3 = "3", "三级残疾"
    GRADE4 = "4", "四级残疾"


class ElderlyPerson(IdentityMixin, ScopedModel, TimeStamped):
    scope_resource = "elderly"

    region = models.ForeignKey("regions.Region", verbose_name="户籍/居住区划", on_delete=models.PROTECT,
                               related_name="elderly")
    address = models.CharField("居住地址", max_length=200, blank=True)
    living_situation = models.CharField("居住情况", max_length=12, choices=LivingSituation.choices,
                                        default=LivingSituation.WITH_FAMILY)
    economic_status = models.CharField("经济状况", max_length=12, choices=EconomicStatus.choices,
                                       default=EconomicStatus.NORMAL, db_index=True)
    special_family = models.BooleanField("计划生育特殊家庭", default=False)
    disability = models.CharField("残疾等级", max_length=4, choices=Disability.choices, default=Disability.NONE)
    registered_on = models.DateField("登记日期", null=True, blank=True)
    died_on = models.DateField("死亡日期", null=True, blank=True)
    moved_out_on = models.DateField("迁出日期", null=True, blank=True)

    PI_FIELDS = {**IdentityMixin.PI_FIELDS, "address": "personal", "economic_status": "sensitive",
                 "disability": "sensitive", "special_family": "sensitive", "living_situation": "personal"}

    class Meta:
        verbose_name = verbose_name_plural = "老年人"
        ordering = ["region_id", "id"]
        indexes = [models.Index(fields=["region", "birth_date"]), models.Index(fields=["region", "economic_status"])]
        constraints = [models.UniqueConstraint(fields=["id_bidx"], condition=~Q(id_bidx=""),
                                               name="elderly_id_unique")]

    def __str__(self) -> str:
        return self.name_masked

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(pk__in=Residence.objects.filter(institution_id=institution_id, ended_on__isnull=True)
                 .values("person_id"))

    @property
    def is_active(self) -> bool:
        return self.died_on is None and self.moved_out_on is None


class BedType(models.TextChoices):
    NURSING = "nursing", "护理型床位"
    ORDINARY = "ordinary", "普通床位"


class Residence(ScopedModel):
    """入住: an elderly person in an institution's bed from ``started_on`` to ``ended_on``."""

    scope_resource = "elderly"

    person = models.ForeignKey(ElderlyPerson, on_delete=models.PROTECT, related_name="residences")
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="residences")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               help_text="机构所在区划，用于按区划统计和授权")
    bed_type = models.CharField("床位类型", max_length=10, choices=BedType.choices, default=BedType.ORDINARY)
    started_on = models.DateField("入住日期")
    ended_on = models.DateField("离院日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "入住记录"
        indexes = [models.Index(fields=["institution", "ended_on"]), models.Index(fields=["region", "started_on"])]

    def __str__(self) -> str:
        return f"入住记录 #{self.pk}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)


class Infant(IdentityMixin, ScopedModel, TimeStamped):
    scope_resource = "infant"

    region = models.ForeignKey("regions.Region", verbose_name="居住区划", on_delete=models.PROTECT,
                               related_name="infants")
    address = models.CharField("居住地址", max_length=200, blank=True)
    guardian_name = models.CharField("监护人姓名", max_length=50)
    guardian_relation = models.CharField("与婴幼儿关系", max_length=10, blank=True)
    moved_out_on = models.DateField("迁出日期", null=True, blank=True)

    PI_FIELDS = {**IdentityMixin.PI_FIELDS, "address": "sensitive", "guardian_name": "sensitive"}
    SENSITIVITY = "minor"  # all PI of under-14s is sensitive (PIPL Art. 28)

    class Meta:
        verbose_name = verbose_name_plural = "婴幼儿"
        ordering = ["region_id", "id"]
        indexes = [models.Index(fields=["region", "birth_date"])]
        constraints = [models.UniqueConstraint(fields=["id_bidx"], condition=~Q(id_bidx=""),
                                               name="infant_id_unique")]

    def __str__(self) -> str:
        return self.name_masked

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(pk__in=Enrolment.objects.filter(institution_id=institution_id, ended_on__isnull=True)
                 .values("infant_id"))


class Enrolment(ScopedModel):
    """入托: an infant in a class of a childcare institution."""

    scope_resource = "infant"

    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="enrolments")
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="enrolments")
    childcare_class = models.ForeignKey("institutions.ChildcareClass", on_delete=models.PROTECT,
                                        related_name="enrolments", verbose_name="班级")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField("入托日期")
    ended_on = models.DateField("离托日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "入托记录"
        indexes = [models.Index(fields=["childcare_class", "ended_on"])]

    def __str__(self) -> str:
        return f"入托记录 #{self.pk}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)
