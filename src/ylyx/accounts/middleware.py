"""Absolute session lifetime (the sliding idle timeout is Django's cookie age) and forced password change."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

EXEMPT = ("/accounts/", "/static/", "/public/", "/api/")


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get("login_at")
            if started and time.time() - float(started) > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                return redirect(settings.LOGIN_URL.replace("accounts:login", "/accounts/login/"))
            if user.valid_until and user.valid_until < timezone.localdate():
                logout(request)
                return redirect("/accounts/login/")
        return self.get_response(request)


class PasswordExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT):
            age = timezone.now() - user.password_changed_at
            if user.must_change_password or age.days >= settings.PASSWORD_MAX_AGE_DAYS:
                return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
