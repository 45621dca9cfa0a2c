"""Absolute session lifetime (the sliding idle timeout is Django's cookie age), the second factor, forced
password change.

Order in ``MIDDLEWARE``: OTPMiddleware (marks the user verified from the session), SessionLifetimeMiddleware
(ends old sessions first), SecondFactorMiddleware, PasswordExpiryMiddleware: the second factor completes the
login before a password change is asked for, so a stolen password alone cannot change the password either.
"""

from __future__ import annotations

import time
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import services

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
            # Sliding idle timeout: a modified session is saved with a fresh expiry. Touching it at most once
            # per SESSION_REFRESH_SECONDS, instead of SESSION_SAVE_EVERY_REQUEST, spares a write per request
            # (on SQLite the one writer; on PostgreSQL a row version) for an idle limit exact to that interval.
            now = time.time()
            if now - float(request.session.get("seen_at", 0)) >= settings.SESSION_REFRESH_SECONDS:
                request.session["seen_at"] = now
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


SECOND_FACTOR_MESSAGES = {
    services.VERIFY: "请先完成登录第二步：输入验证器中的 6 位动态验证码",
    services.ENROL: "本角色须启用双因素认证：请先绑定验证器",
}


@cache
def _second_factor_open_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Exact paths and prefixes a password-only session may reach: the second-step pages, logout, static, healthz."""
    exact = tuple(reverse(name) for name in ("accounts:login", "accounts:logout", "accounts:otp_verify",
                                             "accounts:otp_enrol", "core:healthz"))
    return exact, (settings.STATIC_URL,)


class SecondFactorMiddleware:
    """SEC-AUTH-4: until the session has passed TOTP, a user with a device, or of a role in
    ``OTP_REQUIRED_ROLES``, is sent to the 第二步 or enrolment page from every page; the API answers 403 JSON.

    Token-authenticated API calls carry no session user here; ``accounts.authentication`` checks those.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        exact, prefixes = _second_factor_open_paths()
        if request.path in exact or request.path.startswith(prefixes):
            return self.get_response(request)
        state = services.session_state(user)
        if state == services.OK:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": SECOND_FACTOR_MESSAGES[state], "code": f"second_factor_{state}"},
                                status=403)
        target = reverse("accounts:otp_verify" if state == services.VERIFY else "accounts:otp_enrol")
        if request.headers.get("HX-Request"):
            return HttpResponse(status=403, headers={"HX-Redirect": target})
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
