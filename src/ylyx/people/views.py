"""Pages for 老年人 and 婴幼儿, built on the generic scoped views; every value shown is masked.

Actions on a detail page (入住, 离院, 死亡, 迁出, 入托, 离托) post to their own small views; a refusal
re-renders the detail page with the form's Chinese errors (status 400), success redirects back.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.views import View
from django.views.decorators.http import require_POST

from ylyx.audit.services import record
from ylyx.core import mask
from ylyx.core.permissions import Action, allows
from ylyx.generic.views import Col, ObjectDetailView, ObjectEditView, ObjectListView, ScopedMixin

from . import identity, services
from .filters import ElderlyFilter, InfantFilter, open_stays
from .forms import AdmitForm, DateReasonForm, ElderlyForm, EnrolForm, IdLookupForm, InfantForm
from .identity import age_months, age_years
from .models import ElderlyPerson, Enrolment, Infant, Residence

# htmx 2 does not swap 4xx responses by default; the reveal form shows its refusal in place.
HTMX_CONFIG = ('{"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},'
               '{"code":"4..","swap":true,"error":false},{"code":"...","swap":false,"error":true}]}')


def yes_no(value: Any) -> str:
    return "是" if value else "否"


def elderly_status(p: ElderlyPerson) -> str:
    if p.died_on:
        return "已故"
    if p.moved_out_on:
        return "已迁出"
    return "在世"


ELDERLY_COLUMNS = [
    Col("name", "姓名", lambda p: p.name_masked, link=True),
    Col("id_number", "身份证号", lambda p: p.id_number_masked),
    Col("sex", "性别", lambda p: p.get_sex_display()),
    Col("age", "年龄", lambda p: age_years(p.birth_date), sort="birth_date"),
    Col("region", "区划", lambda p: p.region.name, sort="region_id"),
    Col("living_situation", "居住情况", lambda p: p.get_living_situation_display()),
    Col("economic_status", "经济状况", lambda p: p.get_economic_status_display(), sort="economic_status"),
    Col("special_family", "计生特殊家庭", lambda p: yes_no(p.special_family)),
    Col("disability", "残疾等级", lambda p: p.get_disability_display()),
    Col("status", "状态", elderly_status),
    Col("residing", "机构入住", lambda p: yes_no(p.open_stays)),
]

INFANT_COLUMNS = [
    Col("name", "姓名", lambda p: p.name_masked, link=True),
    Col("id_number", "身份证号", lambda p: p.id_number_masked),
    Col("sex", "性别", lambda p: p.get_sex_display()),
    Col("age", "月龄", lambda p: age_months(p.birth_date), sort="birth_date"),
    Col("region", "区划", lambda p: p.region.name, sort="region_id"),
    Col("guardian", "监护人", lambda p: mask.mask_name(p.guardian_name)),
    Col("enrolled", "在托", lambda p: yes_no(p.open_stays)),
    Col("status", "状态", lambda p: "已迁出" if p.moved_out_on else "在册"),
]


class PersonListView(ObjectListView):
    """Adds the request-aware filter set; related rows are prefetched for the page only.

    Regions and open stays are prefetched (one IN query each for the page's rows) instead of joined:
    at 325,000 rows a join or an annotated EXISTS made PostgreSQL misplan name searches. Masked IDs
    are computed by the column getters, so only the rows on the page (or in the export) are decrypted.
    """

    filter_class: Any = None
    search_fields = ["name"]
    select_related: list[str] = []

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.filterset_class = functools.partial(self.filter_class, request=request)

    def prefetches(self) -> list:
        return ["region"]

    def get_rows(self, action):
        qs, fs = super().get_rows(action)
        if not any(c.sort and self.request.GET.get("sort", "").lstrip("-") == c.key for c in self.columns):
            # The region index (region_id, then row id) already holds this order, so the first page is
            # read straight off the index: no sort of the whole scope (325,000 rows for a city user).
            qs = qs.order_by("region_id", "id")
        return qs.prefetch_related(*self.prefetches()), fs


class ElderlyListView(PersonListView):
    model = ElderlyPerson
    template_name = "people/elderly_list.html"
    title = "老年人"
    filter_class = ElderlyFilter
    columns = ELDERLY_COLUMNS
    export_name = "elderly.xlsx"
    create_url_name = "people:elderly_create"
    detail_url_name = "people:elderly_detail"

    def prefetches(self):
        return ["region", open_stays("residences", Residence)]


class InfantListView(PersonListView):
    model = Infant
    template_name = "people/infant_list.html"
    title = "婴幼儿"
    filter_class = InfantFilter
    columns = INFANT_COLUMNS
    export_name = "infants.xlsx"
    create_url_name = "people:infant_create"
    detail_url_name = "people:infant_detail"

    def prefetches(self):
        return ["region", open_stays("enrolments", Enrolment)]


class IdLookupView(ScopedMixin, View):
    """POST-only exact ID lookup through the blind index; the number never appears in a URL or a message."""

    list_url_name = ""
    detail_url_name = ""

    def post(self, request):
        self.require("view")
        form = IdLookupForm(request.POST)
        if not form.is_valid():
            messages.error(request, "身份证号：" + str(form.errors["id_number"][0]))
            return redirect(self.list_url_name)
        obj = self.model.lookup_by_id_number(self.scoped("view"), form.cleaned_data["id_number"]).first()
        record(request.user, "lookup_id_number", obj, outcome="success" if obj else "not_found",
               detail={"model": self.model._meta.label_lower})
        if obj is None:
            messages.info(request, "在您的管辖范围内未找到该身份证号对应的记录")
            return redirect(self.list_url_name)
        return redirect(self.detail_url_name, obj.pk)


class ElderlyLookupView(IdLookupView):
    model = ElderlyPerson
    list_url_name = "people:elderly_list"
    detail_url_name = "people:elderly_detail"


class InfantLookupView(IdLookupView):
    model = Infant
    list_url_name = "people:infant_list"
    detail_url_name = "people:infant_detail"


# --- detail pages --------------------------------------------------------------------------------

class PersonDetailView(ObjectDetailView):
    reveal_key = ""
    select_related = ["region"]
    log_reads = False  # minors' records: every read is logged (security.md PI-6)

    def get(self, request, pk):
        obj = self.get_object(pk)
        if self.log_reads:
            record(request.user, "view", obj, detail={"via": "page"})
        return self.render_page(request, obj)

    def render_page(self, request, obj, status: int = 200, **forms) -> HttpResponse:
        user = request.user
        ctx = {"object": obj, "title": str(obj), "reveal_key": self.reveal_key, "htmx_config": HTMX_CONFIG,
               "can_reveal": bool(getattr(user, "can_view_full_pi", False)),
               "can_change": self.model.objects.for_user(user, "change").filter(pk=obj.pk).exists()}
        ctx.update(self.extra_context(obj))
        ctx.update(forms)
        return render(request, self.template_name, ctx, status=status)


class ElderlyDetailView(PersonDetailView):
    model = ElderlyPerson
    template_name = "people/elderly_detail.html"
    reveal_key = "elderly"
    detail_url_name = "people:elderly_detail"

    def extra_context(self, obj) -> dict:
        user = self.request.user
        residences = list(Residence.objects.for_user(user, "view").filter(person=obj)
                          .select_related("institution").order_by("-started_on", "-id"))
        open_stay = next((r for r in residences if r.ended_on is None), None)
        can_change = ElderlyPerson.objects.for_user(user, "change").filter(pk=obj.pk).exists()
        can_admit = can_change and allows(user.role, "elderly", "add") and obj.is_active and open_stay is None
        return {
            "age": age_years(obj.birth_date), "status": elderly_status(obj), "residences": residences,
            "open_stay": open_stay, "can_admit": can_admit, "can_act": can_change and obj.is_active,
            "can_discharge": open_stay is not None and Residence.objects.for_user(user, "change")
            .filter(pk=open_stay.pk).exists(),
            "admit_form": AdmitForm(user=user) if can_admit else None,
            "discharge_form": DateReasonForm(label="离院日期", prefix="discharge"),
            "death_form": DateReasonForm(label="死亡日期", prefix="death"),
            "move_out_form": DateReasonForm(label="迁出日期", prefix="move_out"),
            "address_masked": mask.mask_address(obj.address),
        }


class InfantDetailView(PersonDetailView):
    model = Infant
    template_name = "people/infant_detail.html"
    reveal_key = "infant"
    detail_url_name = "people:infant_detail"
    log_reads = True

    def extra_context(self, obj) -> dict:
        user = self.request.user
        enrolments = list(Enrolment.objects.for_user(user, "view").filter(infant=obj)
                          .select_related("institution", "childcare_class").order_by("-started_on", "-id"))
        open_stay = next((e for e in enrolments if e.ended_on is None), None)
        can_change = Infant.objects.for_user(user, "change").filter(pk=obj.pk).exists()
        can_enrol = (can_change and allows(user.role, "infant", "add") and obj.moved_out_on is None
                     and open_stay is None)
        return {
            "age": age_months(obj.birth_date), "enrolments": enrolments, "open_stay": open_stay,
            "can_enrol": can_enrol, "can_act": can_change and obj.moved_out_on is None,
            "can_withdraw": open_stay is not None and Enrolment.objects.for_user(user, "change")
            .filter(pk=open_stay.pk).exists(),
            "enrol_form": EnrolForm(user=user) if can_enrol else None,
            "withdraw_form": DateReasonForm(label="离托日期", prefix="withdraw"),
            "move_out_form": DateReasonForm(label="迁出日期", prefix="move_out"),
            "address_masked": mask.mask_address(obj.address),
            "guardian_masked": mask.mask_name(obj.guardian_name),
        }


def add_errors(form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            target = field_map.get(field, field)
            for m in msgs:
                form.add_error(target if target in form.fields else None, m)
    else:
        for m in exc.messages:
            form.add_error(None, m)


class ActionView(LoginRequiredMixin, View):
    """POST a small form against one scoped row; refusals come back on the detail page."""

    model: Any = None  # the row in the URL
    action: Action = "change"
    detail_view: Any = None
    form_key = ""
    success_message = ""
    field_map: dict[str, str] = {}

    def build_form(self, request):
        raise NotImplementedError

    def perform(self, request, obj, form) -> Any:
        raise NotImplementedError

    def person_of(self, obj):
        return obj

    def post(self, request, pk):
        if not allows(request.user.role, self.model.scope_resource, self.action):
            raise PermissionDenied("无权执行此操作")
        obj = get_object_or_404(self.model.objects.for_user(request.user, "change"), pk=pk)
        form = self.build_form(request)
        if form.is_valid():
            try:
                self.perform(request, obj, form)
            except ValidationError as e:
                add_errors(form, e, self.field_map)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "超出您的管辖范围，操作未保存")
            else:
                messages.success(request, self.success_message)
                person = self.person_of(obj)
                return redirect(self.detail_view.detail_url_name, person.pk)
        view = self.detail_view()
        view.setup(request, pk=self.person_of(obj).pk)
        person = view.get_object(self.person_of(obj).pk)
        return view.render_page(request, person, status=400, **{self.form_key: form})


class AdmitView(ActionView):
    model = ElderlyPerson
    action = "add"
    detail_view = ElderlyDetailView
    form_key = "admit_form"
    success_message = "已办理入住"

    def build_form(self, request):
        return AdmitForm(request.POST, user=request.user)

    def perform(self, request, obj, form):
        cd = form.cleaned_data
        services.admit(request.user, obj, cd["institution"], cd["bed_type"], cd["started_on"], cd["reason"])


class DateActionView(ActionView):
    """An action that takes a date and a reason (离院, 死亡, 迁出, 离托) and calls one service."""

    date_label = ""
    service: Any = None

    def build_form(self, request):
        return DateReasonForm(request.POST, label=self.date_label, prefix=self.form_key.removesuffix("_form"))

    def perform(self, request, obj, form):
        type(self).service(request.user, obj, form.cleaned_data["on"], form.cleaned_data["reason"])


class DischargeView(DateActionView):
    model = Residence
    detail_view = ElderlyDetailView
    form_key = "discharge_form"
    success_message = "已办理离院"
    field_map = {"ended_on": "on"}
    date_label = "离院日期"
    service = staticmethod(services.discharge)

    def person_of(self, obj):
        return obj.person


class DeathView(DateActionView):
    model = ElderlyPerson
    detail_view = ElderlyDetailView
    form_key = "death_form"
    success_message = "已登记死亡，在住记录已同日离院"
    field_map = {"died_on": "on"}
    date_label = "死亡日期"
    service = staticmethod(services.record_death)


class ElderlyMoveOutView(DateActionView):
    model = ElderlyPerson
    detail_view = ElderlyDetailView
    form_key = "move_out_form"
    success_message = "已登记迁出"
    field_map = {"moved_out_on": "on"}
    date_label = "迁出日期"
    service = staticmethod(services.record_move_out)


class EnrolView(ActionView):
    model = Infant
    action = "add"
    detail_view = InfantDetailView
    form_key = "enrol_form"
    success_message = "已办理入托"

    def build_form(self, request):
        return EnrolForm(request.POST, user=request.user)

    def perform(self, request, obj, form):
        cd = form.cleaned_data
        services.enrol(request.user, obj, cd["childcare_class"], cd["started_on"], cd["reason"])


class WithdrawView(DateActionView):
    model = Enrolment
    detail_view = InfantDetailView
    form_key = "withdraw_form"
    success_message = "已办理离托"
    field_map = {"ended_on": "on"}
    date_label = "离托日期"
    service = staticmethod(services.withdraw)

    def person_of(self, obj):
        return obj.infant


class InfantMoveOutView(DateActionView):
    model = Infant
    detail_view = InfantDetailView
    form_key = "move_out_form"
    success_message = "已登记迁出"
    field_map = {"moved_out_on": "on"}
    date_label = "迁出日期"
    service = staticmethod(services.record_infant_move_out)


# --- create / edit -------------------------------------------------------------------------------

class PersonEditView(ObjectEditView):
    create_service: Any = None
    update_service: Any = None

    def save(self, form, instance, user):
        data = form.to_data()
        if instance is None:
            obj, warnings = self.create_service(user, data)
        else:
            obj, warnings = self.update_service(user, instance, data, form.cleaned_data.get("reason", ""))
        for w in warnings:
            messages.warning(self.request, w)
        messages.success(self.request, "已保存")
        return obj


class ElderlyEditView(PersonEditView):
    model = ElderlyPerson
    form_class = ElderlyForm
    success_url_name = "people:elderly_detail"
    create_service = staticmethod(services.create_elderly)
    update_service = staticmethod(services.update_elderly)


class InfantEditView(PersonEditView):
    model = Infant
    form_class = InfantForm
    success_url_name = "people:infant_detail"
    create_service = staticmethod(services.create_infant)
    update_service = staticmethod(services.update_infant)


# --- "show full" (security.md PI-5) --------------------------------------------------------------

@login_required
@require_POST
def reveal(request, model: str, pk: int):
    """One unmasked value, by POST with a reason; never by GET and never in a URL."""
    field = request.POST.get("field", "id_number")[:30]
    try:
        value = identity.reveal(request.user, model, pk, field, request.POST.get("reason", ""))
    except PermissionDenied as e:
        return _reveal_error(request, str(e), 403)
    except Http404:
        return _reveal_error(request, "未找到该记录", 404)
    except ValidationError as e:
        return _reveal_error(request, e.messages[0], 400)
    if getattr(request, "htmx", False):
        return HttpResponse(format_html('<span class="pi-full">{}</span>', value))
    return JsonResponse({"field": field, "value": value})


def _reveal_error(request, message: str, status: int) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponse(format_html('<span class="err" role="alert">{}</span>', message), status=status)
    return JsonResponse({"detail": message}, status=status)

