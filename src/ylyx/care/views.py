"""居家社区服务与时间银行 pages: orders, home-care beds with missed services, meal points, time-bank accounts and
their annual statements. Thin: reads from ``selectors``, changes through ``services`` (and the API)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ylyx.core.permissions import allows

from . import selectors, services


def _need(request: HttpRequest, resource: str) -> None:
    if not allows(getattr(request.user, "role", ""), resource, "view"):  # type: ignore[arg-type]
        raise PermissionDenied("您没有居家服务与时间银行的权限")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = getattr(request.user, "role", "")
    if not (allows(role, "home_service", "view") or allows(role, "timebank", "view")):
        raise PermissionDenied("您没有居家服务与时间银行的权限")
    user = request.user
    ctx: dict = {"title": "居家服务与时间银行"}
    if allows(role, "home_service", "view"):
        ctx["orders"] = Paginator(selectors.orders(user), 30).get_page(request.GET.get("page"))
        last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        ctx["missed"] = services.missed_bed_services(selectors.beds(user), last_month)[:50]
        ctx["bed_count"] = selectors.beds(user).filter(ended_on__isnull=True).count()
        ctx["meal_points"] = selectors.meal_points(user)[:100]
    if allows(role, "timebank", "view"):
        ctx["accounts"] = selectors.accounts(user).order_by("-balance")[:50]
    return render(request, "care/home.html", ctx)


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "timebank")
    account = selectors.accounts(request.user).filter(pk=pk).first()
    if account is None:
        raise Http404("没有这个账户")
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return render(request, "care/statement.html", {"title": "时间银行年度对账单", "account": account,
                                                   "st": services.annual_statement(account, year)})
