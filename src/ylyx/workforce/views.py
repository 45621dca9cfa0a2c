"""Pages for 从业人员: list, detail with certificates, training and employment history, and edits."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404

from ylyx.generic.views import Col, ObjectEditView
from ylyx.people.identity import age_years
from ylyx.people.views import ActionView, PersonDetailView, PersonListView, yes_no

from . import services
from .filters import PractitionerFilter, valid_certificates
from .forms import CertificateForm, EmploymentForm, EndEmploymentForm, PractitionerForm, TrainingForm
from .models import Employment, Practitioner

COLUMNS = [
    Col("name", "姓名", lambda p: p.name_masked, link=True),
    Col("id_number", "身份证号", lambda p: p.id_number_masked),
    Col("sex", "性别", lambda p: p.get_sex_display()),
    Col("age", "年龄", lambda p: age_years(p.birth_date), sort="birth_date"),
    Col("role", "岗位", lambda p: p.get_role_display(), sort="role"),
    Col("institution", "现任机构", lambda p: p.institution.name if p.institution else ""),
    Col("region", "区划", lambda p: p.region.name, sort="region_id"),
    Col("education", "学历", lambda p: p.education),
    Col("certified", "持有效证书", lambda p: yes_no(p.valid_certificates)),
]


class PractitionerListView(PersonListView):
    model = Practitioner
    template_name = "workforce/practitioner_list.html"
    title = "从业人员"
    filter_class = PractitionerFilter
    columns = COLUMNS
    export_name = "practitioners.xlsx"
    create_url_name = "workforce:create"
    detail_url_name = "workforce:detail"

    def prefetches(self):
        return ["region", "institution", valid_certificates()]


class PractitionerDetailView(PersonDetailView):
    model = Practitioner
    template_name = "workforce/practitioner_detail.html"
    reveal_key = "practitioner"
    detail_url_name = "workforce:detail"
    select_related = ["region", "institution"]

    def extra_context(self, obj) -> dict:
        user = self.request.user
        can_change = Practitioner.objects.for_user(user, "change").filter(pk=obj.pk).exists()
        return {
            "age": age_years(obj.birth_date), "can_change": can_change,
            "certificates": obj.certificates.order_by("-issued_on", "-id"),
            "trainings": obj.trainings.order_by("-completed_on", "-id"),
            "employments": obj.employments.select_related("institution").order_by("-started_on", "-id"),
            "certificate_form": CertificateForm() if can_change else None,
            "training_form": TrainingForm() if can_change else None,
            "employment_form": EmploymentForm(user=user) if can_change else None,
            "end_form": EndEmploymentForm() if can_change else None,
        }


class PractitionerEditView(ObjectEditView):
    model = Practitioner
    form_class = PractitionerForm
    success_url_name = "workforce:detail"

    def save(self, form, instance, user):
        data = form.to_data()
        if instance is None:
            obj, warnings = services.create_practitioner(user, data)
        else:
            obj, warnings = services.update_practitioner(user, instance, data, form.cleaned_data.get("reason", ""))
        for w in warnings:
            messages.warning(self.request, w)
        messages.success(self.request, "已保存")
        return obj


class PractitionerActionView(ActionView):
    model = Practitioner
    detail_view = PractitionerDetailView


class AddCertificateView(PractitionerActionView):
    form_key = "certificate_form"
    success_message = "已添加证书"

    def build_form(self, request):
        return CertificateForm(request.POST)

    def perform(self, request, obj, form):
        services.add_certificate(request.user, obj, form.cleaned_data)


class AddTrainingView(PractitionerActionView):
    form_key = "training_form"
    success_message = "已添加培训记录"

    def build_form(self, request):
        return TrainingForm(request.POST)

    def perform(self, request, obj, form):
        services.add_training(request.user, obj, form.cleaned_data)


class AddEmploymentView(PractitionerActionView):
    form_key = "employment_form"
    success_message = "已添加从业经历"

    def build_form(self, request):
        return EmploymentForm(request.POST, user=request.user)

    def perform(self, request, obj, form):
        services.add_employment(request.user, obj, form.cleaned_data)


class EndEmploymentView(PractitionerActionView):
    """The URL names the employment; its practitioner must be in the user's change scope."""

    form_key = "end_form"
    success_message = "已登记离职"
    field_map = {"ended_on": "on"}

    def post(self, request, pk):
        emp = get_object_or_404(Employment.objects.for_user(request.user, "change"), pk=pk)
        self.employment = emp
        return super().post(request, emp.practitioner_id)

    def build_form(self, request):
        return EndEmploymentForm(request.POST)

    def perform(self, request, obj, form):
        services.end_employment(request.user, self.employment, form.cleaned_data["on"])
