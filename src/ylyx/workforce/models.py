"""从业人员 with certificates, training and employment history by institution."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.pi import IdentityMixin
from ylyx.core.scoping import ScopedModel


class PractitionerRole(models.TextChoices):
    HEAD = "head", "院长/负责人"
    ELDER_CAREGIVER = "elder_caregiver", "养老护理员"
    NURSERY_TEACHER = "nursery_teacher", "育婴员"
    CHILD_CAREGIVER = "child_caregiver", "保育员"
    HEALTH_STAFF = "health_staff", "卫生保健人员"
    SOCIAL_WORKER = "social_worker", "社会工作者"
    MEDICAL = "medical", "医护人员"
    OTHER = "other", "其他"


CAREGIVER_ROLES = {PractitionerRole.CHILD_CAREGIVER, PractitionerRole.NURSERY_TEACHER}


class Practitioner(IdentityMixin, ScopedModel, TimeStamped):
    scope_resource = "practitioner"

    region = models.ForeignKey("regions.Region", verbose_name="所在区划", on_delete=models.PROTECT,
                               related_name="practitioners")
    role = models.CharField("岗位", max_length=20, choices=PractitionerRole.choices, db_index=True)
    education = models.CharField("学历", max_length=20, blank=True)
    institution = models.ForeignKey("institutions.Institution", verbose_name="现任机构", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="practitioners")

    class Meta:
        verbose_name = verbose_name_plural = "从业人员"
        ordering = ["region_id", "id"]
        constraints = [models.UniqueConstraint(fields=["id_bidx"], condition=~Q(id_bidx=""),
                                               name="practitioner_id_unique")]

    def __str__(self) -> str:
        return self.name_masked

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)


class Certificate(ScopedModel):
    scope_parent = "practitioner"

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="certificates")
    name = models.CharField("证书名称", max_length=80)
    number = models.CharField("证书编号", max_length=60, blank=True)
    level = models.CharField("等级", max_length=20, blank=True)
    issuer = models.CharField("发证机关", max_length=80, blank=True)
    issued_on = models.DateField("发证日期")
    expires_on = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "证书"

    def __str__(self) -> str:
        return self.name


class TrainingRecord(ScopedModel):
    scope_parent = "practitioner"

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="trainings")
    course = models.CharField("培训内容", max_length=120)
    provider = models.CharField("培训机构", max_length=80, blank=True)
    hours = models.PositiveSmallIntegerField("学时", default=0)
    completed_on = models.DateField("完成日期")
    passed = models.BooleanField("考核合格", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "培训记录"

    def __str__(self) -> str:
        return self.course


class Employment(ScopedModel):
    scope_parent = "practitioner"

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="employments")
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="employments")
    role = models.CharField("岗位", max_length=20, choices=PractitionerRole.choices)
    full_time = models.BooleanField("全职", default=True)
    started_on = models.DateField("入职日期")
    ended_on = models.DateField("离职日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "从业经历"
        ordering = ["practitioner_id", "started_on"]

    def __str__(self) -> str:
        return f"从业经历 #{self.pk}"
