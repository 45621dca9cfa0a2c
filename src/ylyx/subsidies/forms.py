"""Subsidy forms: every bad value gets a Chinese message naming the field."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from ylyx.institutions.models import Institution
from ylyx.regions.models import Region

from . import rules
from .models import BuildKind, Category, PayeeKind, PeriodKind, Programme
from .selectors import month_choices


class JSONTextField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "class": "mono"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, indent=1)
        return value

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value in ("", None):
            return {}
        try:
            return json.loads(value)
        except ValueError as e:
            raise ValidationError(f"不是有效的 JSON：{e}") from e


class ProgrammeForm(forms.Form):
    name = forms.CharField(label="项目名称", max_length=80)
    category = forms.ChoiceField(label="类别", choices=Category.choices)
    payee = forms.ChoiceField(label="发放对象", choices=PayeeKind.choices)
    period = forms.ChoiceField(label="发放周期", choices=PeriodKind.choices)
    eligibility = JSONTextField(label="资格条件（JSON）", required=False)
    amount = JSONTextField(label="金额规则（JSON）")
    exclusive_group = forms.CharField(label="互斥组", max_length=40, required=False)
    priority = forms.IntegerField(label="互斥优先级", min_value=-100, max_value=100, initial=0)
    effective_from = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(label="失效日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    document = forms.CharField(label="政策依据（发文）", max_length=200)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def clean_eligibility(self):
        v = self.cleaned_data["eligibility"]
        try:
            rules.compile_rule(v)
        except rules.RuleError as e:
            raise ValidationError(str(e)) from e
        return v

    def clean_amount(self):
        v = self.cleaned_data["amount"]
        try:
            rules.compile_amount(v)
        except rules.RuleError as e:
            raise ValidationError(str(e)) from e
        return v

    def clean(self):
        d = super().clean() or {}
        if d.get("effective_to") and d.get("effective_from") and d["effective_to"] < d["effective_from"]:
            self.add_error("effective_to", "失效日期不能早于生效日期")
        return d


class ApplicationForm(forms.Form):
    institution = forms.ModelChoiceField(label="机构", queryset=Institution.objects.none())
    programme = forms.ModelChoiceField(label="补贴项目", queryset=Programme.objects.none())
    build_kind = forms.ChoiceField(label="建设方式", choices=BuildKind.choices)
    urban = forms.TypedChoiceField(label="城乡", choices=[("", "按所在旗县区"), ("1", "城市"), ("0", "农村")],
                                   required=False, coerce=lambda v: v == "1", empty_value=None)
    units = forms.IntegerField(label="新增床位/托位数", min_value=1, max_value=100000)
    lease_years = forms.IntegerField(label="租赁年限", min_value=1, max_value=70, required=False)
    evidence = forms.CharField(label="佐证材料说明", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["institution"]).queryset = Institution.objects.for_user(user, "view").filter(
            kind__in=["elder", "childcare"]).order_by("name")
        cast(forms.ModelChoiceField, self.fields["programme"]).queryset = Programme.objects.for_user(user, "view").filter(
            payee=PayeeKind.APPLICATION, active=True)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="意见", choices=[("approve", "通过"), ("reject", "不通过/退回")])
    comment = forms.CharField(label="审核意见", max_length=200, required=False)


class BatchForm(forms.Form):
    region = forms.ModelChoiceField(label="区划", queryset=Region.objects.none(), to_field_name="code")
    period = forms.ChoiceField(label="期间", choices=())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = user.region_prefix or "--"
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = Region.objects.filter(code__startswith=prefix, level__in=[2, 3]).order_by("code")
        cast(forms.ChoiceField, self.fields["period"]).choices = [(p, p) for p in month_choices()]


class CloseRecoveryForm(forms.Form):
    outcome = forms.ChoiceField(label="结果", choices=[("recovered", "已追回"), ("waived", "核销")])
    note = forms.CharField(label="说明", max_length=200, required=False)


class AbsenceForm(forms.Form):
    residence = forms.IntegerField(label="入住记录编号", min_value=1)
    started_on = forms.DateField(label="离院日期", widget=forms.DateInput(attrs={"type": "date"}))
    ended_on = forms.DateField(label="返院日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="原因", max_length=100, required=False)
