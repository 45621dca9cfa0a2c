"""Forms for targets, milestones and reported values; every message names its field in Chinese."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils import timezone

from ylyx.regions.models import Region, normalise_code
from ylyx.regions.picking import RegionPicker

from .models import Comparator, PlanIndicator, ReportedValue

CHOICES_PROPERTY = [("", "—"), ("约束性", "约束性"), ("预期性", "预期性")]


class TargetForm(forms.ModelForm):
    comparator = forms.ChoiceField(label="比较方式", choices=[("", "—")] + list(Comparator.choices), required=False)
    property = forms.ChoiceField(label="属性", choices=CHOICES_PROPERTY, required=False)

    class Meta:
        model = PlanIndicator
        fields = ["baseline_text", "baseline_value", "target_text", "target_value", "comparator", "target_year",
                  "property"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_year"].widget.attrs.update(min=2000, max=2100)

    def clean_target_year(self):
        y = self.cleaned_data.get("target_year")
        if y is not None and not 2000 <= y <= 2100:
            raise forms.ValidationError("目标年份应在 2000 至 2100 之间")
        return y

    def clean(self):
        data = super().clean() or {}
        if data.get("target_value") is not None and not data.get("comparator"):
            self.add_error("comparator", "填写了目标值时必须选择比较方式")
        data["comparator"] = data.get("comparator") or None
        return data


class MilestoneForm(forms.Form):
    """One optional number per year; empty restores that year's default straight-line value."""

    def __init__(self, *args, indicator: PlanIndicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        existing = {m.year: m for m in indicator.milestones.all()}
        start = indicator.plan.first_year + 1
        end = max([indicator.effective_target_year or start] + list(existing))
        for year in range(start, end + 1):
            m = existing.get(year)
            self.fields[f"y{year}"] = forms.FloatField(
                label=f"{year}年", required=False, initial=m.value if m and m.edited else None,
                help_text=(f"默认 {m.value:g}" if m and not m.edited else ("已人工调整" if m else "")))

    def values(self) -> dict[int, float | None]:
        return {int(k[1:]): v for k, v in self.cleaned_data.items()}


def parse_region(code: str, user) -> Region:
    code12 = normalise_code(code or "")
    region = Region.objects.filter(code=code12).first()
    if region is None:
        raise forms.ValidationError(f"区划代码“{code}”不存在")
    if not user.region_prefix or not region.code.startswith(user.region_prefix):
        raise forms.ValidationError(f"区划“{region.name}”超出您的管辖范围")
    return region


class EntryForm(forms.Form):
    """Choose plan, department, region and year, then one value per row that needs a department's figure."""

    plan = forms.TypedChoiceField(label="规划", coerce=int)
    department = forms.CharField(label="填报部门", max_length=60)
    region = forms.CharField(label="区划", max_length=12, widget=RegionPicker(allow_clear=False))
    year = forms.IntegerField(label="年份")

    def __init__(self, *args, user, plans, rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["plan"]).choices = [(p.pk, str(p)) for p in plans]
        self.rows = rows or []
        for pi in self.rows:
            self.fields[f"v{pi.pk}"] = forms.FloatField(label=f"{pi.seq} {pi.name}", required=False,
                                                        help_text=pi.unit)

    def clean_region(self):
        return parse_region(self.cleaned_data["region"], self.user)

    def clean_year(self):
        y = self.cleaned_data["year"]
        if not 2000 <= y <= timezone.localdate().year:
            raise forms.ValidationError(f"年份应在 2000 至 {timezone.localdate().year} 之间")
        return y


class ReportedEditForm(forms.ModelForm):
    class Meta:
        model = ReportedValue
        fields = ["value", "department", "comment"]


class ReturnForm(forms.Form):
    comment = forms.CharField(label="退回意见", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class ImportForm(forms.Form):
    plan = forms.TypedChoiceField(label="规划", coerce=int)
    file = forms.FileField(label="Excel 文件（.xlsx）")

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["plan"]).choices = [(p.pk, str(p)) for p in plans]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的文件")
        if f.size > 5 * 1024 * 1024:
            raise forms.ValidationError("文件不能超过 5 MB")
        return f
