"""居家社区服务与时间银行 pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ylyx.core.permissions import allows


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = getattr(request.user, "role", "")
    if not (allows(role, "home_service", "view") or allows(role, "timebank", "view")):
        raise PermissionDenied("您没有居家服务与时间银行的权限")
    return render(request, "care/home.html", {"title": "居家服务与时间银行"})
