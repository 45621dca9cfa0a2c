"""探访 forms: a region's rule and a visit record (the fields the offline page sends too)."""

from __future__ import annotations

from typing import Any

from django import forms

from ylyx.people.models import Disability, EconomicStatus, LivingSituation
from ylyx.regions.models import Region
from ylyx.regions.picking import RegionPicker

from .models import Mode, Risk, VisitRule


class RuleForm(forms.ModelForm):
    region_code = forms.CharField(label="适用区划", max_length=12, widget=RegionPicker(allow_clear=False))
    living_situations = forms.MultipleChoiceField(label="居住情况（任一即须探访）", required=False,
                                                  choices=[c for c in LivingSituation.choices if c[0] != "with_family"],
                                                  widget=forms.CheckboxSelectMultiple)
    economic_statuses = forms.MultipleChoiceField(label="经济状况（任一）", required=False,
                                                  choices=[c for c in EconomicStatus.choices if c[0] != "normal"],
                                                  widget=forms.CheckboxSelectMultiple)
    disability_grades = forms.MultipleChoiceField(label="残疾等级（任一）", required=False,
                                                  choices=[c for c in Disability.choices if c[0] != "none"],
                                                  widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = VisitRule
        fields = ["name", "living_situations", "economic_statuses", "disability_grades", "special_family",
                  "age_always", "min_age", "visits_per_month", "due_day", "exclude_in_institution", "active"]

    def __init__(self, *args: Any, user: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.user = user
        if self.instance.pk:
            self.fields["region_code"].initial = self.instance.region_id
            self.fields["region_code"].disabled = True

    def clean_region_code(self) -> Region:
        code = str(self.cleaned_data["region_code"]).strip().ljust(12, "0")
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError("区划代码不存在")
        if self.user is not None and not code.startswith(self.user.region_prefix or "\x00"):
            raise forms.ValidationError("该区划不在您的管辖范围内")
        return region

    def clean_due_day(self) -> int:
        v = self.cleaned_data["due_day"]
        if not 1 <= v <= 28:
            raise forms.ValidationError("当月完成日须在 1–28 之间")
        return v


class VisitForm(forms.Form):
    visited_on = forms.DateField(label="探访日期", widget=forms.DateInput(attrs={"type": "date"}))
    mode = forms.ChoiceField(label="方式", choices=Mode.choices)
    health = forms.CharField(label="健康状况", max_length=300, required=False)
    safety = forms.CharField(label="安全状况", max_length=300, required=False)
    living = forms.CharField(label="生活状况", max_length=300, required=False)
    needs = forms.CharField(label="需求", max_length=300, required=False)
    risks = forms.MultipleChoiceField(label="发现的风险（将生成跟进事项）", choices=Risk.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)


class CloseFollowUpForm(forms.Form):
    result = forms.CharField(label="处理结果", max_length=300)


class GenerateForm(forms.Form):
    month = forms.DateField(label="月份", input_formats=["%Y-%m", "%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "month"}))
