"""Forms for 从业人员 pages; the rules are in services. ID and phone are never echoed back into a page."""

from __future__ import annotations

from typing import cast

from django import forms

from ylyx.institutions.models import Institution
from ylyx.people.forms import DATE, IdentityForm, _today

from .models import PractitionerRole


def visible_institutions(user):
    return Institution.objects.for_user(user, "view").order_by("region_id", "name")


class PractitionerForm(IdentityForm):
    role = forms.ChoiceField(label="岗位", choices=PractitionerRole.choices)
    education = forms.CharField(label="学历", max_length=20, required=False)
    institution = forms.ModelChoiceField(label="现任机构", queryset=Institution.objects.none(), required=False,
                                         help_text="新增从业经历时会自动更新")

    pass_through = ("role", "education", "institution")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["institution"]).queryset = visible_institutions(self.user)
        if getattr(self.user, "role", "") == "operator":
            # An operator's staff are filed under their own institution and its region.
            del self.fields["region"]
            del self.fields["institution"]

    def initial_from(self, instance) -> dict:
        data = super().initial_from(instance)
        data["institution"] = instance.institution_id
        return data

    def to_data(self) -> dict:
        cd = self.cleaned_data
        data = {"name": cd["name"], "sex": cd.get("sex", ""), "role": cd["role"], "education": cd.get("education", "")}
        if "region" in self.fields:
            data["region"] = cd["region"]
        if "institution" in self.fields:
            data["institution"] = cd.get("institution")
        if cd.get("id_number"):
            data["id_number"] = cd["id_number"]
        if cd.get("phone"):
            data["phone"] = cd["phone"]
        return data


class CertificateForm(forms.Form):
    name = forms.CharField(label="证书名称", max_length=80)
    number = forms.CharField(label="证书编号", max_length=60, required=False)
    level = forms.CharField(label="等级", max_length=20, required=False)
    issuer = forms.CharField(label="发证机关", max_length=80, required=False)
    issued_on = forms.DateField(label="发证日期", widget=DATE)
    expires_on = forms.DateField(label="有效期至", widget=DATE, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "cert")
        super().__init__(*args, **kwargs)


class TrainingForm(forms.Form):
    course = forms.CharField(label="培训内容", max_length=120)
    provider = forms.CharField(label="培训机构", max_length=80, required=False)
    hours = forms.IntegerField(label="学时", min_value=0, max_value=2000, initial=0)
    completed_on = forms.DateField(label="完成日期", widget=DATE, initial=_today)
    passed = forms.BooleanField(label="考核合格", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "training")
        super().__init__(*args, **kwargs)


class EmploymentForm(forms.Form):
    institution = forms.ModelChoiceField(label="机构", queryset=Institution.objects.none())
    role = forms.ChoiceField(label="岗位", choices=PractitionerRole.choices)
    full_time = forms.BooleanField(label="全职", required=False, initial=True)
    started_on = forms.DateField(label="入职日期", widget=DATE, initial=_today)
    ended_on = forms.DateField(label="离职日期", widget=DATE, required=False, help_text="在职请留空")

    def __init__(self, *args, user=None, **kwargs):
        kwargs.setdefault("prefix", "employment")
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["institution"]).queryset = visible_institutions(user)


class EndEmploymentForm(forms.Form):
    on = forms.DateField(label="离职日期", widget=DATE, initial=_today)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "end")
        super().__init__(*args, **kwargs)
