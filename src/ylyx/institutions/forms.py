"""Forms for the registry pages. They check shape and choices; the services check the rules and scope."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.forms.models import fields_for_model, model_to_dict

from ylyx.core.permissions import domains_for
from ylyx.core.scoping import prefix_q
from ylyx.core.validators import validate_uscc
from ylyx.regions.models import Region

from . import services
from .models import (
    SUBTYPES_BY_KIND,
    ChildcareClass,
    Filing,
    FilingStatus,
    Institution,
    Kind,
    ServicePoint,
    Status,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return "\u3000" * max(obj.level - 3, 0) + f"{obj.name}（{obj.code}）"


def regions_for(user, within: str = "") -> QuerySet[Region]:
    """Counties and below in the user's scope (and under ``within``, if given): the only valid locations."""
    prefix = user.region_prefix if getattr(user, "region_id", None) else ""
    if not prefix:
        return Region.objects.none()
    qs = Region.objects.filter(prefix_q("code", prefix), level__gte=Region.Level.COUNTY)
    if within:
        qs = qs.filter(prefix_q("code", within))
    return qs.order_by("code")


def kind_choices(user) -> list[tuple[str, str]]:
    doms = domains_for(user.role)
    kinds = [k for k in Kind if doms is None or ("childcare" if k == Kind.CHILDCARE else "elder") in doms]
    return [("", "---------")] + [(k.value, k.label) for k in kinds]


def subtype_choices(kind_values: list[str]) -> list:
    """Grouped by kind, so the list reads as 类别 → 类型 even without script."""
    groups = []
    for k in Kind:
        if k.value in kind_values:
            groups.append((k.label, [(s.value, s.label) for s in SUBTYPES_BY_KIND[k]]))
    return [("", "---------"), *groups]


class InstitutionForm(forms.Form):
    """登记 (all fields) or 变更 (no status: that has its own dated form; operators: service details only)."""

    effective_on = forms.DateField(label="生效日期", required=False, widget=DATE,
                                   help_text="床位、托位、状态或区划变更的生效日期；不填为今天（新登记时为开业日期）")
    reason = forms.CharField(label="变更原因/说明", required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, instance: Institution | None = None, user=None, **kw):
        super().__init__(data, **kw)
        self.instance, self.user = instance, user
        operator = user.role == "operator"
        if operator:
            names = list(services.OPERATOR_FIELDS)
        elif instance is None:
            names = list(services.INSTITUTION_FIELDS)
        else:
            names = [f for f in services.INSTITUTION_FIELDS if f != "status"]
        fields = fields_for_model(Institution, fields=names)
        if "opened_on" in fields:
            fields["opened_on"].widget = DATE
        if "places" in fields:
            fields["places"].help_text = "托育机构填写；登记班级后由各班级托位汇总"
        if "beds" in fields:
            fields["beds"].help_text = "养老机构和社区养老服务设施填写；托育机构为 0"
        if "region" in fields:
            fields["region"] = RegionChoiceField(label="所在区划", queryset=regions_for(user),
                                                 help_text="旗县区、苏木乡镇/街道或嘎查村/社区")
        if "kind" in fields:
            kinds = kind_choices(user)
            cast(forms.ChoiceField, fields["kind"]).choices = kinds
            cast(forms.ChoiceField, fields["subtype"]).choices = subtype_choices([v for v, _ in kinds if v])
        if instance is not None and instance.classes.exists():
            for name in ("places", "affordable_places"):
                if name in fields:
                    fields[name].disabled = True
                    fields[name].help_text = "由班级托位汇总，请在班级中修改"
        ordered = {**fields, "effective_on": self.fields["effective_on"], "reason": self.fields["reason"]}
        if instance is None:
            ordered.pop("reason")
        if operator:
            ordered.pop("effective_on")
        self.fields = ordered
        if instance is not None:
            self.initial = {**model_to_dict(instance, fields=names), **self.initial}

    def clean_uscc(self):
        value = (self.cleaned_data.get("uscc") or "").strip()
        return validate_uscc(value) if value else ""

    def clean(self):
        data = super().clean() or {}
        kind, subtype = data.get("kind"), data.get("subtype")
        if kind and subtype and subtype not in SUBTYPES_BY_KIND[Kind(kind)]:
            self.add_error("subtype", f"所选类型不属于“{Kind(kind).label}”，请重新选择")
        return data

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("effective_on", "reason")
                and not self.fields[k].disabled}


class ChildcareClassForm(forms.Form):
    effective_on = forms.DateField(label="生效日期", required=False, widget=DATE,
                                   help_text="托位变化的生效日期；不填为今天")
    reason = forms.CharField(label="变更原因/说明", required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, instance: ChildcareClass | None = None, user=None, **kw):
        super().__init__(data, **kw)
        operator = getattr(user, "role", "") == "operator"
        names = list(services.OPERATOR_CLASS_FIELDS if operator else services.CLASS_FIELDS)
        fields = fields_for_model(ChildcareClass, fields=names)
        if "places" in fields:
            fields["places"].min_value = 1
        self.fields = {**fields, "effective_on": self.fields["effective_on"], "reason": self.fields["reason"]}
        if instance is not None:
            self.initial = model_to_dict(instance, fields=names)

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in services.CLASS_FIELDS}


class ServicePointForm(forms.Form):
    def __init__(self, data=None, *, institution: Institution, user=None, **kw):
        super().__init__(data, **kw)
        fields = fields_for_model(ServicePoint, fields=["name", "address", "lat", "lon"])
        region = RegionChoiceField(label="所在区划", queryset=regions_for(user, institution.region_id[:6]),
                                   help_text="须在机构所在旗县区内")
        self.fields = {"name": fields["name"], "region": region, "address": fields["address"],
                       "lat": fields["lat"], "lon": fields["lon"],
                       "reason": forms.CharField(label="说明", required=False, max_length=500)}


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态")
    effective_on = forms.DateField(label="生效日期", required=False, widget=DATE, help_text="不填为今天")
    reason = forms.CharField(label="原因", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="暂停或关停须填写")

    def __init__(self, data=None, *, instance: Institution, user=None, **kw):
        super().__init__(data, **kw)
        cast(forms.ChoiceField, self.fields["status"]).choices = [(s.value, s.label) for s in Status
                                                                  if s != instance.status]


class FilingSubmitForm(forms.Form):
    on = forms.DateField(label="提交日期", required=False, widget=DATE, help_text="不填为今天")
    authority = forms.CharField(label="备案机关", required=False,
                                max_length=Filing._meta.get_field("authority").max_length)
    reason = forms.CharField(label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, instance: Institution, user=None, **kw):
        super().__init__(data, **kw)
        self.fields["authority"].initial = services.default_authority(instance)


class FilingTransitionForm(forms.Form):
    status = forms.ChoiceField(label="办理")
    on = forms.DateField(label="日期", required=False, widget=DATE, help_text="不填为今天")
    reason = forms.CharField(label="说明/退回理由", required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}), help_text="退回补正须填写理由")

    def __init__(self, data=None, *, filing: Filing, user=None, **kw):
        super().__init__(data, **kw)
        allowed = services.allowed_transitions(user, filing)
        cast(forms.ChoiceField, self.fields["status"]).choices = [(s, FilingStatus(s).label) for s in allowed]

    def clean(self):
        data = super().clean() or {}
        if data.get("status") == FilingStatus.RETURNED and not (data.get("reason") or "").strip():
            self.add_error("reason", "退回补正须填写退回理由")
        return data
