"""Registry pages: the generic scoped list/detail/edit views, configured; every change goes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.views import View

from ylyx.core.permissions import allows
from ylyx.generic.views import Col, ObjectDetailView, ObjectEditView, ObjectListView, ScopedMixin

from . import services
from .filters import InstitutionFilter
from .forms import (
    ChildcareClassForm,
    FilingSubmitForm,
    FilingTransitionForm,
    InstitutionForm,
    ServicePointForm,
    StatusForm,
)
from .models import ChildcareClass, Filing, Institution, Kind, ServicePoint
from .querysets import selectors


def filing_status_label(inst: Institution) -> str:
    try:
        return inst.filing.get_status_display()
    except Filing.DoesNotExist:
        return "未备案"


class InstitutionListView(ObjectListView):
    model = Institution
    title = "机构"
    filterset_class = InstitutionFilter
    search_fields = ["name", "uscc", "address"]
    export_name = "institutions.xlsx"
    create_url_name = "institutions:create"
    detail_url_name = "institutions:detail"
    select_related = ["region", "filing"]
    default_sort = "-id"
    columns = [
        Col("name", "机构名称", lambda o: o.name, sort="name", link=True),
        Col("region", "所在区划", lambda o: o.region.name, sort="region_id"),
        Col("kind", "类别", lambda o: o.get_kind_display()),
        Col("subtype", "类型", lambda o: o.get_subtype_display()),
        Col("beds", "床位", lambda o: o.beds, sort="beds"),
        Col("nursing_beds", "护理型床位", lambda o: o.nursing_beds, sort="nursing_beds"),
        Col("places", "托位", lambda o: o.places, sort="places"),
        Col("affordable_places", "普惠托位", lambda o: o.affordable_places),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
        Col("filing", "备案状态", filing_status_label),
        Col("uscc", "统一社会信用代码", lambda o: o.uscc),
    ]


def _link(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return ""


class InstitutionDetailView(ObjectDetailView):
    model = Institution
    template_name = "institutions/institution_detail.html"
    select_related = ["region"]

    def extra_context(self, obj: Institution) -> dict:
        user: Any = self.request.user
        can_change = Institution.objects.for_user(user, "change").filter(pk=obj.pk).exists()
        filing = selectors.filing_of(obj)
        skip = {"id", "domain", "created_at", "updated_at"}
        skip |= {"beds", "nursing_beds"} if obj.kind == Kind.CHILDCARE else {"places", "affordable_places"}
        concrete = Institution._meta.concrete_fields
        fields = [(f.verbose_name, self._display(obj, f)) for f in concrete if f.name not in skip]
        fields += [(f.verbose_name, self._display(obj, f)) for f in concrete if f.name in ("created_at", "updated_at")]
        related = []
        q = f"?institution={obj.pk}"
        if obj.kind == Kind.CHILDCARE:
            if allows(user.role, "infant", "view"):
                related.append(("在托婴幼儿", _link("people:infant_list", q)))
        elif allows(user.role, "elderly", "view"):
            related.append(("在住老年人", _link("people:elderly_list", q)))
        if allows(user.role, "practitioner", "view"):
            related.append(("从业人员", _link("workforce:list", q)))
        return {
            "can_change": can_change,
            "can_register": can_change and user.role != "operator",
            "is_childcare": obj.kind == Kind.CHILDCARE,
            "fields": fields,
            "capacity_history": selectors.capacity_history(obj),
            "classes": selectors.classes_with_counts(obj) if obj.kind == Kind.CHILDCARE else [],
            "service_points": obj.service_points.select_related("region").order_by("name"),
            "filing": filing,
            "filing_events": selectors.filing_events(filing),
            "filing_actions": services.allowed_transitions(user, filing) if can_change else [],
            "residents": selectors.active_residents(obj) if obj.kind != Kind.CHILDCARE else None,
            "enrolled": selectors.active_enrolments(obj) if obj.kind == Kind.CHILDCARE else None,
            "related_links": [(label, url) for label, url in related if url],
        }

    @staticmethod
    def _display(obj, field) -> object:
        if field.choices:
            return getattr(obj, f"get_{field.name}_display")()
        if field.name == "region":
            return obj.region.path_name()
        value = getattr(obj, field.name)
        return "" if value is None else value


class InstitutionEditView(ObjectEditView):
    model = Institution
    form_class = InstitutionForm
    success_url_name = "institutions:detail"

    def save(self, form, instance, user):
        eff, reason = form.cleaned_data.get("effective_on"), form.cleaned_data.get("reason", "")
        if instance is None:
            return services.create_institution(user, form.service_data(), reason=reason, effective_on=eff)
        return services.update_institution(user, instance, form.service_data(), reason=reason, effective_on=eff)


class InstitutionActionView(ObjectEditView):
    """A form about one institution the user may change (``pk`` is the institution); back to its page."""

    model = Institution
    success_url_name = "institutions:detail"
    heading = ""

    def get_instance(self, pk):
        return get_object_or_404(self.scoped("change"), pk=pk)

    def form_kwargs(self, instance) -> dict:
        return {"instance": instance, "user": self.request.user}

    def title(self, instance) -> str:
        return f"{self.heading}：{instance}"


class RegistryActionView(InstitutionActionView):
    """Registry acts (status, classes, service points) are the authority's, not the operator's."""

    def get_instance(self, pk):
        if self.request.user.role == "operator":
            raise PermissionDenied(services.OPERATOR_REGISTRY)
        return super().get_instance(pk)


class StatusChangeView(RegistryActionView):
    form_class = StatusForm
    heading = "变更机构状态"

    def save(self, form, instance, user):
        d = form.cleaned_data
        return services.set_status(user, instance, d["status"], d.get("effective_on"), d.get("reason", ""))


class ClassCreateView(RegistryActionView):
    form_class = ChildcareClassForm
    heading = "新增托育班级"

    def get_instance(self, pk):
        inst = super().get_instance(pk)
        if inst.kind != Kind.CHILDCARE:
            raise Http404
        return inst

    def form_kwargs(self, instance) -> dict:
        return {"user": self.request.user}

    def save(self, form, instance, user):
        d = form.cleaned_data
        services.add_class(user, instance, form.service_data(), reason=d.get("reason", ""),
                           effective_on=d.get("effective_on"))
        return instance


class ClassEditView(InstitutionActionView):
    """``pk`` is the class; found only through institutions the user may change."""

    form_class = ChildcareClassForm
    heading = "编辑托育班级"

    def get_instance(self, pk):
        return get_object_or_404(
            ChildcareClass.objects.for_user(self.request.user, "change").select_related("institution"), pk=pk)

    def save(self, form, instance, user):
        d = form.cleaned_data
        services.update_class(user, instance, form.service_data(), reason=d.get("reason", ""),
                              effective_on=d.get("effective_on"))
        return instance.institution


class ServicePointCreateView(RegistryActionView):
    form_class = ServicePointForm
    heading = "新增服务点（一照多址）"

    def form_kwargs(self, instance) -> dict:
        return {"institution": instance, "user": self.request.user}

    def save(self, form, instance, user):
        services.add_service_point(user, instance, form.cleaned_data)
        return instance


class FilingSubmitView(InstitutionActionView):
    form_class = FilingSubmitForm
    heading = "提交备案"

    def save(self, form, instance, user):
        d = form.cleaned_data
        services.submit_filing(user, instance, d.get("on"), d.get("reason", ""), d.get("authority", ""))
        return instance


class FilingTransitionView(InstitutionActionView):
    form_class = FilingTransitionForm
    heading = "办理备案"

    def get_instance(self, pk):
        inst = super().get_instance(pk)
        if selectors.filing_of(inst) is None:
            raise Http404
        return inst

    def form_kwargs(self, instance) -> dict:
        return {"filing": selectors.filing_of(instance), "user": self.request.user}

    def save(self, form, instance, user):
        d = form.cleaned_data
        filing = selectors.filing_of(instance)
        if filing is None:
            raise ValidationError("该机构尚无备案记录")
        services.transition_filing(user, filing, d["status"], d.get("on"), d.get("reason", ""))
        return instance


class _PostDeleteView(ScopedMixin, View):
    """POST-only removal of a child row; the outcome is a message on the institution's page."""

    model = Institution
    child_model: Any = ChildcareClass
    done = ""

    def post(self, request, pk):
        child = get_object_or_404(
            self.child_model.objects.for_user(request.user, "change"), pk=pk)
        inst_pk = child.institution_id
        try:
            self.remove(request.user, child, request.POST.get("reason", "")[:500])
        except ValidationError as e:
            for m in e.messages:
                messages.error(request, m)
        except PermissionDenied as e:
            messages.error(request, str(e) or services.OUT_OF_SCOPE)
        else:
            messages.success(request, self.done)
        return redirect("institutions:detail", inst_pk)

    def remove(self, user, child, reason):
        raise NotImplementedError


class ClassDeleteView(_PostDeleteView):
    child_model = ChildcareClass
    done = "班级已删除"

    def remove(self, user, child, reason):
        services.delete_class(user, child, reason=reason)


class ServicePointDeleteView(_PostDeleteView):
    child_model = ServicePoint
    done = "服务点已删除"

    def remove(self, user, child, reason):
        services.remove_service_point(user, child, reason=reason)
