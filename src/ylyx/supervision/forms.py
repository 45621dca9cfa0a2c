"""Forms for supervision pages: shape, choices and Chinese labels; the services check rules and scope.

Every choice of a scoped record (institutions, inspectors, classes) comes from ``for_user``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from ylyx.core.scoping import prefix_q
from ylyx.institutions.models import ChildcareClass, Institution
from ylyx.regions.models import Region

from .models import (
    AppealKind,
    Channel,
    ComplaintOutcome,
    Domain,
    IncidentSeverity,
    IncidentType,
    Inspector,
    ItemOutcome,
    Outcome,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
KIND_CHOICES = [("elder", "养老机构"), ("community", "社区养老服务设施"), ("childcare", "托育机构")]


class InstitutionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Institution) -> str:
        return f"{obj.name}（{obj.region_id[:6]}）"


def institutions_for(user: Any):
    return Institution.objects.for_user(user, "view").only("id", "name", "region_id").order_by("region_id", "name")


class UserForm(forms.Form):
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        self.user = user
        super().__init__(*args, **kwargs)


class PlanForm(UserForm):
    title = forms.CharField(label="计划名称", max_length=120)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    region = forms.ModelChoiceField(label="实施区划", queryset=Region.objects.none())
    department = forms.CharField(label="实施部门", max_length=60)
    domain = forms.ChoiceField(label="领域", choices=Domain.choices)
    kinds = forms.MultipleChoiceField(label="抽查对象类别", choices=KIND_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple, help_text="不选则为该领域全部类别")
    ratio = forms.DecimalField(label="抽查比例", min_value=0, max_value=1, decimal_places=4,
                               help_text="B 级对象的抽中概率，如 0.2；A/C/D 级按信用权重调整")
    inspectors_per_target = forms.IntegerField(label="每个对象检查人员数", min_value=2, initial=2)
    recuse_employer_region = forms.BooleanField(label="旗县区检查人员回避本旗县区对象", required=False)
    recuse_last_inspector = forms.BooleanField(label="上次检查该对象的人员回避", required=False, initial=True)
    period_start = forms.DateField(label="检查期起", widget=DATE)
    period_end = forms.DateField(label="检查期止", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        prefix = getattr(self.user, "region_prefix", "")
        qs = Region.objects.filter(prefix_q("code", prefix), level__in=[2, 3]) if prefix else Region.objects.none()
        self.fields["region"].queryset = qs.order_by("code")  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TaskForm(UserForm):
    name = forms.CharField(label="批次名称", max_length=60, help_text="如“第一批”")
    period_start = forms.DateField(label="检查期起", widget=DATE, required=False)
    period_end = forms.DateField(label="检查期止", widget=DATE, required=False)


class DrawForm(forms.Form):
    witness = forms.CharField(label="见证值（可选）", max_length=100, required=False,
                              help_text="抽取现场由见证人（如公证员）给出的数字或文字，参与计算并公开")


class InspectorForm(UserForm):
    code = forms.CharField(label="人员编码", max_length=30, help_text="公开抽取结果中显示的编码")
    name = forms.CharField(label="姓名", max_length=50)
    department = forms.CharField(label="所在部门", max_length=60)
    region = forms.ModelChoiceField(label="所在部门区划", queryset=Region.objects.none())
    domains = forms.MultipleChoiceField(label="执法领域", choices=Domain.choices, widget=forms.CheckboxSelectMultiple)
    certificate_no = forms.CharField(label="执法证号", max_length=40, required=False)
    phone = forms.CharField(label="电话", max_length=20, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        prefix = getattr(self.user, "region_prefix", "")
        qs = Region.objects.filter(prefix_q("code", prefix), level__lte=3) if prefix else Region.objects.none()
        self.fields["region"].queryset = qs.order_by("code")  # type: ignore[attr-defined]


class ConflictForm(UserForm):
    institution = InstitutionField(label="回避机构", queryset=Institution.objects.none())
    reason = forms.CharField(label="回避事由", max_length=200, help_text="如亲属关系、经济往来、曾在该机构任职；不公开")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions_for(self.user)  # type: ignore[attr-defined]


class CheckInForm(forms.Form):
    lat = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)


class PhotoForm(forms.Form):
    photo = forms.FileField(label="现场照片")
    item_code = forms.CharField(label="对应检查项", max_length=20, required=False)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180)


def items_form(checklist: Any, existing: dict[str, Any], data: Any = None) -> forms.Form:
    """One result and one note field per checklist item, pre-filled with what was recorded."""
    fields: dict[str, forms.Field] = {}
    for item in checklist.items:
        rec = existing.get(item.code)
        fields[f"r_{item.code}"] = forms.ChoiceField(
            label=f"{item.code} {item.text}", choices=ItemOutcome.choices, widget=forms.RadioSelect,
            initial=rec.result if rec else None, required=False, help_text=f"依据：{item.basis}")
        fields[f"n_{item.code}"] = forms.CharField(label="问题描述", required=False, max_length=1000,
                                                   initial=rec.note if rec else "",
                                                   widget=forms.TextInput(attrs={"placeholder": "不符合时必填"}))
    form_class = type("ItemsForm", (forms.Form,), fields)
    return form_class(data)


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label="检查结论", choices=Outcome.choices)
    inspected_on = forms.DateField(label="检查日期", widget=DATE, required=False, help_text="默认今天")
    summary = forms.CharField(label="检查情况（内部）", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=4000)


class PublishForm(forms.Form):
    public_summary = forms.CharField(label="公示内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                                     help_text="将向社会公开：写明检查结论和发现的问题，不得含个人姓名、电话、身份证号")


class ReinspectForm(UserForm):
    inspectors = forms.ModelMultipleChoiceField(label="检查人员（至少 2 名）", queryset=Inspector.objects.none(),
                                                widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["inspectors"].queryset = Inspector.objects.for_user(  # type: ignore[attr-defined]
            self.user, "view").filter(active=True).order_by("code")


class ReportForm(forms.Form):
    report_text = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    reported_on = forms.DateField(label="整改完成日期", widget=DATE, required=False)


class CreditEventForm(forms.Form):
    kind = forms.ChoiceField(label="信用事件")
    on = forms.DateField(label="发生日期", widget=DATE, required=False)
    note = forms.CharField(label="说明", max_length=300)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        events = settings.SUPERVISION_CREDIT["events"]
        self.fields["kind"].choices = [(k, f"{e['label']}（{e['points']:+d} 分）")  # type: ignore[attr-defined]
                                       for k, e in events.items()]


class AppealForm(forms.Form):
    kind = forms.ChoiceField(label="申请类型", choices=AppealKind.choices)
    text = forms.CharField(label="申请理由及整改情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class DecideForm(forms.Form):
    accept = forms.TypedChoiceField(label="处理结果", choices=[("1", "同意"), ("0", "不同意")], coerce=lambda v: v == "1")
    decision = forms.CharField(label="处理意见", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ComplaintForm(UserForm):
    channel = forms.ChoiceField(label="受理渠道", choices=Channel.choices)
    received_on = forms.DateField(label="受理日期", widget=DATE, required=False)
    institution = InstitutionField(label="被投诉机构", queryset=Institution.objects.none(), required=False)
    region = forms.ModelChoiceField(label="承办区划（未指明机构时）", queryset=Region.objects.none(), required=False)
    domain = forms.ChoiceField(label="领域（未指明机构时）", choices=[("", "---------"), *Domain.choices], required=False)
    category = forms.CharField(label="投诉类别", max_length=30, help_text="如服务质量、收费、安全隐患、虐待")
    summary = forms.CharField(label="投诉内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    anonymous = forms.BooleanField(label="匿名", required=False)
    complainant_name = forms.CharField(label="投诉人姓名", max_length=50, required=False)
    complainant_phone = forms.CharField(label="投诉人电话", max_length=20, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions_for(self.user)  # type: ignore[attr-defined]
        prefix = getattr(self.user, "region_prefix", "")
        qs = Region.objects.filter(prefix_q("code", prefix), level__lte=4) if prefix else Region.objects.none()
        self.fields["region"].queryset = qs.order_by("code")  # type: ignore[attr-defined]


class InvestigateForm(ReinspectForm):
    inspectors = forms.ModelMultipleChoiceField(label="派检查人员核查（可不选）", queryset=Inspector.objects.none(),
                                                widget=forms.CheckboxSelectMultiple, required=False)


class ComplaintCloseForm(forms.Form):
    outcome = forms.ChoiceField(label="核查结论", choices=ComplaintOutcome.choices)
    outcome_text = forms.CharField(label="处理结果", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    closed_on = forms.DateField(label="办结日期", widget=DATE, required=False)


class IncidentForm(UserForm):
    institution = InstitutionField(label="发生机构", queryset=Institution.objects.none())
    type = forms.ChoiceField(label="事件类型", choices=IncidentType.choices)
    severity = forms.ChoiceField(label="事件等级", choices=IncidentSeverity.choices)
    occurred_at = forms.DateTimeField(label="发生时间", widget=DATETIME, required=False,
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    people_affected = forms.IntegerField(label="涉及人数", min_value=0, initial=0)
    injured = forms.IntegerField(label="受伤人数", min_value=0, initial=0)
    deaths = forms.IntegerField(label="死亡人数", min_value=0, initial=0)
    description = forms.CharField(label="事件经过", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions_for(self.user)  # type: ignore[attr-defined]


class IncidentLogForm(forms.Form):
    text = forms.CharField(label="处置情况", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class IncidentCloseForm(forms.Form):
    closure_summary = forms.CharField(label="处置结果", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    liability = forms.BooleanField(label="机构负有责任（记入信用档案）", required=False)


class RelocateForm(UserForm):
    person_kind = forms.ChoiceField(label="对象", choices=[("elderly", "老年人"), ("infant", "婴幼儿")])
    person = forms.IntegerField(label="人员编号", min_value=1, help_text="老年人或婴幼儿登记编号")
    to_institution = InstitutionField(label="安置机构（老年人）", queryset=Institution.objects.none(), required=False)
    to_class = forms.ModelChoiceField(label="安置班级（婴幼儿）", queryset=ChildcareClass.objects.none(), required=False)
    on = forms.DateField(label="转移日期", widget=DATE, required=False)

    def __init__(self, *args: Any, incident: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to_institution"].queryset = institutions_for(self.user).filter(  # type: ignore[attr-defined]
            kind__in=["elder", "community"]).exclude(pk=getattr(incident, "institution_id", None))
        self.fields["to_class"].queryset = ChildcareClass.objects.for_user(  # type: ignore[attr-defined]
            self.user, "view").select_related("institution").exclude(
            institution_id=getattr(incident, "institution_id", None)).order_by("institution_id", "name")
