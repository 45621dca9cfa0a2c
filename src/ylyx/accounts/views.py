"""Login (password, then the TOTP 第二步), logout, password change, 2FA enrolment and reset, API tokens.

Lockout on passwords comes from django-axes (by username and IP); failed codes are throttled per device
by django-otp. Which sessions must pass the second factor is decided in ``services.session_state``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from rest_framework.authtoken.models import Token

from ylyx.audit.services import record
from ylyx.core.permissions import allows, requires_second_factor

from . import services
from .forms import EnrolForm, SecondFactorForm, SecondFactorResetForm


def _next_url(request) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return nxt
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _second_step(state: str, nxt: str) -> str:
    name = "accounts:otp_verify" if state == services.VERIFY else "accounts:otp_enrol"
    return f"{reverse(name)}?{urlencode({'next': nxt})}"


def _failure_message(outcome: services.Outcome) -> str:
    if outcome.wait_seconds:
        return f"错误次数过多，请 {outcome.wait_seconds} 秒后再试"
    return "不正确或已使用过，请输入验证器当前显示的 6 位数字，或一个未用过的恢复码"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        """After the password: straight on to the 第二步 (or enrolment) page when the session needs it."""
        url = super().get_success_url()
        state = services.session_state(self.request.user)
        return url if state == services.OK else _second_step(state, url)


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            user.must_change_password = False
            user.save(update_fields=["must_change_password", "password_changed_at"])
            record(user, "password_change", user)
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改")
        return redirect("workspace:home")
    return render(request, "accounts/password_change.html", {"form": form, "title": "修改密码"},
                  status=400 if request.method == "POST" else 200)


def _mark_verified(request, device) -> None:
    """The session has passed the second factor: remember the device and, as at login, rotate the session key."""
    otp_login(request, device)
    request.session.cycle_key()


@login_required
def otp_verify(request):
    state = services.session_state(request.user)
    nxt = _next_url(request)
    if state != services.VERIFY:
        return redirect(nxt if state == services.OK else _second_step(state, nxt))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.second_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if outcome.ok:
            _mark_verified(request, outcome.device)
            if outcome.method == "recovery":
                messages.warning(request, f"已用掉一个恢复码，还剩 {outcome.recovery_left} 个；"
                                          "如验证器已丢失，请在「我的账号」重新绑定并生成新的恢复码")
            return redirect(nxt)
        form.add_error("code", _failure_message(outcome))
    return render(request, "accounts/otp_verify.html",
                  {"form": form, "next": nxt, "title": "登录第二步：动态验证码", "otp_pending": True},
                  status=400 if request.method == "POST" else 200)


@login_required
def otp_enrol(request):
    """Bind an authenticator: QR code (inline SVG) and the base32 key, confirmed with a code; then recovery codes.

    A user who already has a device must pass the 第二步 first, so a password alone cannot replace the device.
    """
    state = services.session_state(request.user)
    nxt = _next_url(request)
    if state == services.VERIFY:
        return redirect(_second_step(state, nxt))
    device = services.totp_enrolment_device(user=request.user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.totp_enrolment_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        if outcome.ok:
            _mark_verified(request, outcome.device)
            return _recovery_codes_page(request, outcome.recovery_codes, nxt, enrolled=True)
        form.add_error("code", _failure_message(outcome))
    secret = services.totp_secret(device)
    qr = segno.make(device.config_url, error="m").svg_inline(scale=5, title="用验证器扫描此二维码")
    return render(request, "accounts/otp_enrol.html", {
        "form": form, "next": nxt, "title": "绑定验证器（双因素认证）", "qr_svg": qr, "secret": secret,
        "secret_groups": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": requires_second_factor(request.user.role), "otp_pending": state != services.OK,
    }, status=400 if request.method == "POST" else 200)


def _recovery_codes_page(request, codes: list[str], nxt: str, *, enrolled: bool):
    return render(request, "accounts/otp_recovery_codes.html",
                  {"codes": codes, "next": nxt, "enrolled": enrolled, "title": "恢复码"})


def _verified_with_device(request) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


@login_required
@require_POST
def otp_recovery_codes(request):
    """New recovery codes for a session verified with the second factor; the old ones stop working."""
    if not _verified_with_device(request):
        raise PermissionDenied("须先通过动态验证码验证")
    with transaction.atomic():
        codes = services.recovery_codes_replace(user=request.user)
        record(request.user, "otp_recovery_regenerate", request.user, detail={"recovery_codes": len(codes)})
    return _recovery_codes_page(request, codes, reverse("accounts:account"), enrolled=False)


def _account_context(request, **extra):
    user = request.user
    token = Token.objects.filter(user=user).first()
    return {"title": "我的账号", "has_totp": services.has_totp(user), "verified": _verified_with_device(request),
            "required": requires_second_factor(user.role), "recovery_left": services.recovery_codes_left(user=user),
            "token": token, "can_reset": allows(user.role, "user", "change"), **extra}


@login_required
def account(request):
    return render(request, "accounts/account.html", _account_context(request))


@login_required
@require_POST
def api_token(request):
    """Issue or revoke the user's API token. The key is shown once, to a session past the second factor only."""
    if services.session_state(request.user) != services.OK:  # the middleware sends such sessions away first
        raise PermissionDenied("须先完成双因素认证")
    if request.POST.get("action") == "revoke":
        if services.api_token_revoke(user=request.user):
            messages.success(request, "API 令牌已撤销")
        return redirect("accounts:account")
    token = services.api_token_issue(user=request.user)
    return render(request, "accounts/account.html", _account_context(request, new_token_key=token.key))


@login_required
def otp_reset(request):
    """A system administrator removes another user's devices (lost phone); audited with the reason."""
    if not allows(request.user.role, "user", "change"):
        raise PermissionDenied("只有系统管理员可以重置双因素认证")
    form = SecondFactorResetForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["username"]
        services.second_factor_reset(actor=request.user, user=target, reason=form.cleaned_data["reason"])
        messages.success(request, f"已重置 {target.username} 的双因素认证；其下次登录须重新绑定验证器")
        return redirect("accounts:otp_reset")
    return render(request, "accounts/otp_reset.html", {"form": form, "title": "重置用户的双因素认证"},
                  status=400 if request.method == "POST" else 200)
