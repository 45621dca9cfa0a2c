"""Forms for people pages. They parse input; the rules themselves live in services (shared with API and imports).

Full ID numbers and phones are never put back into a form: on edit those fields start empty, with the
masked value as a hint, and an empty field means "unchanged".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.utils import timezone

from ylyx.core.scoping import prefix_q
from ylyx.core.validators import validate_id_number
from ylyx.institutions.models import ChildcareClass, Institution, Kind, Status
from ylyx.regions.models import Region

from .models import BedType, Disability, EconomicStatus, LivingSituation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SEX_CHOICES = [("", "按身份证号"), ("M", "男"), ("F", "女")]


class NoEchoInput(forms.TextInput):
    """A text input that never writes the submitted value back into the page (ID numbers, phones)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"


def scoped_regions(user: Any):
    prefix = getattr(user, "region_prefix", "")
    if not prefix:
        return Region.objects.none()
    return Region.objects.filter(prefix_q("code", prefix), level__gte=3).order_by("code")


class IdentityForm(forms.Form):
    """Name, ID, sex, phone, region: the fields every person record has."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=30, required=False,
                                widget=NoEchoInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    sex = forms.ChoiceField(label="性别", choices=SEX_CHOICES, required=False,
                            help_text="与身份证号第 17 位不一致时仍按填写保存，并提示核对")
    phone = forms.CharField(label="联系电话", max_length=20, required=False,
                            widget=NoEchoInput(attrs={"autocomplete": "off"}))
    region = RegionChoiceField(label="所属区划", queryset=Region.objects.none())

    pass_through: tuple[str, ...] = ()

    def __init__(self, *args, instance=None, user=None, **kwargs):
        self.instance = instance
        self.user = user
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = scoped_regions(user)
        if instance is None:
            self.fields["id_number"].required = True
        else:
            self.fields["id_number"].help_text = f"留空表示不修改（当前 {instance.id_number_masked or '未登记'}）"
            self.fields["phone"].help_text = f"留空表示不修改（当前 {instance.phone_masked or '未登记'}）"
            self.fields["reason"] = forms.CharField(label="修改原因", max_length=200,
                                                    error_messages={"required": "请填写修改原因"})

    def initial_from(self, instance) -> dict:
        data = {"name": instance.name, "sex": instance.sex, "region": instance.region_id}
        for f in self.pass_through:
            data[f] = getattr(instance, f)
        return data

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number", "").strip()
        if raw:
            validate_id_number(raw)
        return raw

    def to_data(self) -> dict:
        cd = self.cleaned_data
        data = {"name": cd["name"], "sex": cd.get("sex", ""), "region": cd["region"]}
        if cd.get("id_number"):
            data["id_number"] = cd["id_number"]
        if cd.get("phone"):
            data["phone"] = cd["phone"]
        for f in self.pass_through:
            data[f] = cd.get(f)
        return data


class ElderlyForm(IdentityForm):
    address = forms.CharField(label="居住地址", max_length=200, required=False)
    living_situation = forms.ChoiceField(label="居住情况", choices=LivingSituation.choices,
                                         initial=LivingSituation.WITH_FAMILY)
    economic_status = forms.ChoiceField(label="经济状况", choices=EconomicStatus.choices, initial=EconomicStatus.NORMAL)
    special_family = forms.BooleanField(label="计划生育特殊家庭", required=False)
    disability = forms.ChoiceField(label="残疾等级", choices=Disability.choices, initial=Disability.NONE)
    registered_on = forms.DateField(label="登记日期", required=False, widget=DATE)

    pass_through = ("address", "living_situation", "economic_status", "special_family", "disability",
                    "registered_on")


class InfantForm(IdentityForm):
    guardian_name = forms.CharField(label="监护人姓名", max_length=50)
    guardian_relation = forms.CharField(label="与婴幼儿关系", max_length=10, required=False)
    address = forms.CharField(label="居住地址", max_length=200, required=False)

    pass_through = ("guardian_name", "guardian_relation", "address")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].help_text = ((self.fields["id_number"].help_text + "；") if self.instance else "") + \
            "出生日期和性别按身份证号登记"


def _today():
    return timezone.localdate()


class AdmitForm(forms.Form):
    institution = forms.ModelChoiceField(label="养老机构", queryset=Institution.objects.none())
    bed_type = forms.ChoiceField(label="床位类型", choices=BedType.choices, initial=BedType.ORDINARY)
    started_on = forms.DateField(label="入住日期", widget=DATE, initial=_today)
    reason = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        kwargs.setdefault("prefix", "admit")
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["institution"]).queryset = (
            Institution.objects.for_user(user, "view").exclude(kind=Kind.CHILDCARE)
            .filter(status=Status.OPERATING, beds__gt=0).order_by("region_id", "name"))


class DateReasonForm(forms.Form):
    """One date plus an optional note: 离院, 死亡, 迁出, 离托."""

    on = forms.DateField(label="日期", widget=DATE, initial=_today)
    reason = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, data: Mapping[str, Any] | None = None, *, label: str = "日期", prefix: str = "act",
                 **kwargs: Any) -> None:
        super().__init__(data, prefix=prefix, **kwargs)
        self.fields["on"].label = label


class EnrolForm(forms.Form):
    childcare_class = forms.ModelChoiceField(label="托育班级", queryset=ChildcareClass.objects.none())
    started_on = forms.DateField(label="入托日期", widget=DATE, initial=_today)
    reason = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        kwargs.setdefault("prefix", "enrol")
        super().__init__(*args, **kwargs)
        visible = Institution.objects.for_user(user, "view").filter(kind=Kind.CHILDCARE, status=Status.OPERATING)
        cast(forms.ModelChoiceField, self.fields["childcare_class"]).queryset = (
            ChildcareClass.objects.for_user(user, "view").filter(institution__in=visible.values("pk"))
            .select_related("institution")
            .order_by("institution__name", "name"))


class IdLookupForm(forms.Form):
    """Exact 身份证号 lookup: posted, never in a URL (ASVS V14.2.1), matched through the blind index."""

    id_number = forms.CharField(label="按身份证号查找", max_length=30,
                                widget=NoEchoInput(attrs={"autocomplete": "off", "placeholder": "18 位身份证号"}))

    def clean_id_number(self) -> str:
        raw = self.cleaned_data["id_number"].strip()
        validate_id_number(raw)
        return raw
