"""Generic list, detail and edit views: every app's pages are these, configured (NetBox's pattern).

Each view gets its rows only from ``Model.objects.for_user``; another region's object is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View

from ylyx.audit.services import record
from ylyx.core.export import export_policy, export_watermark, pi_resources, workbook_response
from ylyx.core.permissions import Action, allows
from ylyx.core.scoping import prefix_q
from ylyx.regions.models import Region
from ylyx.regions.picking import chosen_region

if TYPE_CHECKING:
    from ylyx.accounts.models import User


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    get: Callable[[Any], Any]
    sort: str | None = None  # ORM field used for ?sort=key
    link: bool = False


class AuthenticatedHttpRequest(HttpRequest):
    """What a view behind LoginRequiredMixin handles: the user is signed in, never AnonymousUser."""

    user: User


class ScopedMixin(LoginRequiredMixin, View):
    request: AuthenticatedHttpRequest
    model: Any = None
    action = "view"

    def scoped(self, action: Action | None = None):
        qs = self.model.objects.for_user(self.request.user, action or self.action)
        return qs

    def require(self, action: Action) -> None:
        if not allows(self.request.user.role, self.model.scope_resource, action):
            raise PermissionDenied("无权执行此操作")


class ObjectListView(ScopedMixin, View):
    template_name = "core/object_list.html"
    filterset_class: Any = None
    columns: list[Col] = []
    search_fields: list[str] = []
    title = ""
    export_name = "export.xlsx"
    create_url_name = ""
    detail_url_name = ""
    select_related: list[str] = []
    default_sort = "-id"
    page_size = 50

    def search(self, qs, q: str):
        cond = Q()
        for f in self.search_fields:
            cond |= Q(**{f"{f}__icontains": q})
        return qs.filter(cond)

    def get_rows(self, action: Action):
        qs = self.scoped(action)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        region = self.request.GET.get("region", "").strip()
        if region and not Region.objects.filter(code=region).exists():
            raise Http404
        node = chosen_region(self.request)  # ?region=, else the region picked on an earlier page
        if node is not None:
            qs = qs.filter(prefix_q(self.model.scope_region_field, node.prefix))
        fs = self.filterset_class(self.request.GET, queryset=qs) if self.filterset_class else None
        if fs is not None:
            qs = fs.qs if fs.is_valid() else qs.none()
        q = self.request.GET.get("q", "").strip()[:50]
        if q:
            qs = self.search(qs, q)
        sort = self.request.GET.get("sort", "")
        by_key = {c.key: c.sort for c in self.columns if c.sort}
        field = by_key.get(sort.lstrip("-"))
        if field:
            qs = qs.order_by(("-" if sort.startswith("-") else "") + field, "pk")
        else:
            qs = qs.order_by(self.default_sort)
        return qs, fs

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.export(request)
        self.require("view")
        qs, fs = self.get_rows("view")
        page = Paginator(qs, self.page_size).get_page(request.GET.get("page"))
        rows = [(obj, [c.get(obj) for c in self.columns]) for obj in page.object_list]
        params = request.GET.copy()
        params.pop("page", None)
        picked = chosen_region(request)
        if picked is not None and "region" not in params:
            params["region"] = picked.code  # sort, page and export links keep the region carried from the session
        ctx = {
            "title": self.title or self.model._meta.verbose_name_plural,
            "columns": self.columns, "rows": rows, "page": page, "filter": fs,
            "querystring": params.urlencode(), "sort": request.GET.get("sort", ""),
            "can_add": bool(self.create_url_name) and allows(request.user.role, self.model.scope_resource, "add"),
            "can_export": allows(request.user.role, self.model.scope_resource, "export"),
            "export_needs_request": self.model.scope_resource in pi_resources(),
            "create_url": reverse(self.create_url_name) if self.create_url_name else "",
            "detail_url_name": self.detail_url_name,
            "region": picked,
        }
        return render(request, self.template_name, ctx)

    def export(self, request) -> HttpResponse:
        """Small lists without personal data download at once; anything else goes to the export request form.

        Personal data always needs a job (and a reason), so those lists are not even counted here.
        """
        self.require("export")
        resource = self.model.scope_resource
        if resource in pi_resources():
            return redirect(self.export_request_url(request))
        qs, _ = self.get_rows("export")
        count = qs.count()
        if export_policy(resource, count).job:
            return redirect(self.export_request_url(request))
        record(request.user, "export", None, detail={"model": self.model._meta.label_lower,
                                                      "filter": request.GET.urlencode()[:500], "rows": count})
        rows = ([c.get(o) for c in self.columns] for o in qs.iterator(chunk_size=2000))
        return workbook_response(self.export_name, [c.header for c in self.columns], rows,
                                 watermark=export_watermark(request.user))

    def export_request_url(self, request) -> str:
        params = request.GET.copy()
        params.pop("export", None)
        params.pop("page", None)
        return reverse("imports:export_new") + "?" + urlencode({"list": request.resolver_match.view_name,
                                                                "filter": params.urlencode()})


class ObjectDetailView(ScopedMixin, View):
    template_name = ""
    select_related: list[str] = []

    def get_object(self, pk):
        qs = self.scoped("view")
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return get_object_or_404(qs, pk=pk)

    def extra_context(self, obj) -> dict:
        return {}

    def get(self, request, pk):
        obj = self.get_object(pk)
        ctx = {"object": obj, "title": str(obj),
               "can_change": self.model.objects.for_user(request.user, "change").filter(pk=obj.pk).exists()}
        ctx.update(self.extra_context(obj))
        return render(request, self.template_name, ctx)


class ObjectEditView(ScopedMixin, View):
    """Create (no pk) or change (pk) through a form; the app's ``save`` does the work in one transaction."""

    template_name = "core/object_edit.html"
    form_class: Any = None
    success_url_name = ""

    def save(self, form, instance, user) -> Any:
        raise NotImplementedError

    def get_instance(self, pk):
        if pk is None:
            self.require("add")
            return None
        return get_object_or_404(self.scoped("change"), pk=pk)

    def form_kwargs(self, instance) -> dict:
        return {"instance": instance, "user": self.request.user}

    def get(self, request, pk=None):
        instance = self.get_instance(pk)
        form = self.form_class(**self.form_kwargs(instance))
        return render(request, self.template_name, {"form": form, "object": instance,
                                                    "title": self.title(instance)})

    def title(self, instance) -> str:
        name = self.model._meta.verbose_name
        return f"编辑{name}：{instance}" if instance else f"新增{name}"

    def post(self, request, pk=None):
        instance = self.get_instance(pk)
        form = self.form_class(request.POST, **self.form_kwargs(instance))
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.save(form, instance, request.user)
            except ValidationError as e:
                for field, msgs in (e.message_dict.items() if hasattr(e, "error_dict") else [(None, e.messages)]):
                    for m in msgs:
                        form.add_error(field if field in form.fields else None, m)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "超出您的管辖范围，操作未保存")
            else:
                return redirect(reverse(self.success_url_name, args=[obj.pk]))
        return render(request, self.template_name, {"form": form, "object": instance,
                                                    "title": self.title(instance)}, status=400)
