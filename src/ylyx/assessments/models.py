"""能力评估: assessor qualifications and assessments (GB/T 42195-2022; legacy MZ/T 039-2013 imports kept apart).

An assessment is filled item by item (``answers`` grows, ``progress`` is the next item), submitted by a
first qualified assessor and signed by a second one; only then it is ``completed`` and counts as the
person's current level. Records are never overwritten: a re-assessment is a new row, so the history per
person is the list of their rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ylyx.core.models import TimeStamped
from ylyx.core.scoping import ScopedModel

from .scoring import LEVEL_SHORT


class Standard(models.TextChoices):
    GBT42195 = "gbt42195", "GB/T 42195-2022"
    MZT039 = "mzt039", "MZ/T 039-2013（历史）"


class Reason(models.TextChoices):
    INITIAL = "initial", "首次评估"
    ADMISSION = "admission", "入住评估"
    PERIODIC = "periodic", "定期复评"
    CONDITION = "condition", "状况变化即时评估"
    LEGACY = "legacy", "历史数据导入"


class Status(models.TextChoices):
    DRAFT = "draft", "评估中"
    SUBMITTED = "submitted", "待第二评估员确认"
    COMPLETED = "completed", "已完成"
    VOID = "void", "已作废"


LEVEL_CHOICES = [(k, v) for k, v in LEVEL_SHORT.items()]


class AssessorQualification(ScopedModel, TimeStamped):
    """评估员资格: who may assess, where, until when."""

    scope_resource = "assessment"

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="assessor_qualifications",
                             verbose_name="评估员")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="执业区划")
    certificate_no = models.CharField("资格证书编号", max_length=40)
    issued_by = models.CharField("发证机关/培训机构", max_length=80, blank=True)
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止")
    revoked = models.BooleanField("已撤销", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "评估员资格"
        ordering = ["region_id", "id"]
        constraints = [models.UniqueConstraint(fields=["certificate_no"], name="assessor_certificate_unique"),
                       models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                              name="assessor_valid_to_after_from")]

    def __str__(self) -> str:
        return f"{self.user} {self.certificate_no}"

    def valid_on(self, day) -> bool:
        return not self.revoked and self.valid_from <= day <= self.valid_to


class Assessment(ScopedModel, TimeStamped):
    scope_resource = "assessment"

    person = models.ForeignKey("people.ElderlyPerson", on_delete=models.PROTECT, related_name="assessments",
                               verbose_name="老年人")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name="区划", help_text="评估时老年人所在区划")
    institution = models.ForeignKey("institutions.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="assessments", verbose_name="入住机构")
    standard = models.CharField("评估标准", max_length=10, choices=Standard.choices, default=Standard.GBT42195)
    is_legacy = models.BooleanField("历史数据", default=False, help_text="MZ/T 039-2013 结果，只读，不作为当前等级")
    reason = models.CharField("评估原因", max_length=12, choices=Reason.choices, default=Reason.INITIAL)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    assessed_on = models.DateField("评估日期")
    answers = models.JSONField("各项得分", default=dict, blank=True)
    progress = models.PositiveSmallIntegerField("当前项目序号", default=0)
    coma = models.BooleanField("昏迷（A.5.11）", default=False)
    dementia = models.BooleanField("痴呆（F00—F03）", default=False)
    psychiatric = models.BooleanField("精神科诊断的精神和行为障碍（F04—F99）", default=False)
    risk_events = models.JSONField("近30天照护风险事件（A.2.14）", default=dict, blank=True)
    self_care = models.PositiveSmallIntegerField("自理能力", null=True, blank=True)
    motor = models.PositiveSmallIntegerField("基础运动能力", null=True, blank=True)
    mental = models.PositiveSmallIntegerField("精神状态", null=True, blank=True)
    perception = models.PositiveSmallIntegerField("感知觉与社会参与", null=True, blank=True)
    total = models.PositiveSmallIntegerField("总分", null=True, blank=True)
    preliminary_level = models.PositiveSmallIntegerField("初步等级", choices=LEVEL_CHOICES, null=True, blank=True)
    level = models.PositiveSmallIntegerField("能力等级", choices=LEVEL_CHOICES, null=True, blank=True, db_index=True)
    change_reasons = models.JSONField("等级变更依据", default=list, blank=True)
    legacy_result = models.CharField("历史评估结论", max_length=60, blank=True)
    first_assessor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name="评估员一")
    second_assessor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name="评估员二")
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    next_due = models.DateField("下次复评日期", null=True, blank=True, db_index=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "能力评估"
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["person", "status", "assessed_on"]),
                   models.Index(fields=["region", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(level__isnull=True) | Q(level__lte=4), name="assessment_level_0_4"),
            models.CheckConstraint(condition=Q(total__isnull=True) | Q(total__lte=90), name="assessment_total_0_90"),
            models.CheckConstraint(condition=Q(second_assessor__isnull=True)
                                   | ~Q(second_assessor=models.F("first_assessor")),
                                   name="assessment_two_different_assessors"),
        ]

    def __str__(self) -> str:
        return f"能力评估 #{self.pk} {self.assessed_on}"

    @classmethod
    def scope_institution_q(cls, institution_id: int) -> Q:
        return Q(institution_id=institution_id)

    @property
    def level_label(self) -> str:
        if self.is_legacy:
            return f"{self.legacy_result}（MZ/T 039 历史）"
        return LEVEL_SHORT.get(self.level, "—") if self.level is not None else "—"
