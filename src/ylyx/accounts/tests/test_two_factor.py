"""Two-factor authentication (security.md SEC-AUTH-4, 等保 §8.1.4.1 d): TOTP after the password.

Logins here go through the real login form: ``force_login`` in the test suite completes the second factor
for users with a device (root conftest.py), so the password-only state is reached by the form, or by a
required-role user without a device (``make_user(..., otp=False)``).
"""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="attr-defined,index"

from __future__ import annotations

import io
import re
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from ylyx import testing
from ylyx.accounts import services
from ylyx.audit.models import AuditEvent
from ylyx.core.permissions import Role, requires_second_factor
from ylyx.core.tests.test_platform import concrete, iter_patterns

pytestmark = pytest.mark.django_db

REQUIRED = ["civil_affairs", "health", "sysadmin", "auditor"]
ENROL = "/accounts/2fa/enrol/"
VERIFY = "/accounts/2fa/verify/"
OPEN = {"accounts/login/", "accounts/logout/", "accounts/2fa/verify/", "accounts/2fa/enrol/", "healthz"}


def password_login(client: Client, user, next_url: str = ""):
    data = {"username": user.username, "password": testing.PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def events(user, event_type: str, outcome: str | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(actor_id=user.pk, event_type=event_type)
    return list(qs.filter(outcome=outcome) if outcome else qs)


def verified_client(user) -> Client:
    """Password through the form, then the current TOTP code through the 第二步 page."""
    c = Client()
    password_login(c, user)
    resp = c.post(VERIFY, {"code": testing.totp_code(user)})
    assert resp.status_code == 302, resp.content.decode()[:500]
    return c


# --- the rule -------------------------------------------------------------------------------------------


def test_required_roles_are_one_setting(settings):
    assert sorted(settings.OTP_REQUIRED_ROLES) == sorted(REQUIRED)
    assert set(settings.OTP_REQUIRED_ROLES) <= set(Role.values)
    assert {r for r in Role.values if requires_second_factor(r)} == set(REQUIRED)
    settings.OTP_REQUIRED_ROLES = [*REQUIRED, "county_officer"]
    assert requires_second_factor("county_officer")


# --- enforcement ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", REQUIRED)
def test_required_role_without_device_reaches_only_the_enrolment_page(tree, role):
    """Every URL pattern, GET and POST, for a password-only session: redirected to enrolment, or 403 on the API."""
    user = testing.make_user(role, tree["city"], otp=False)
    c = Client()
    resp = password_login(c, user)
    assert resp.status_code == 302 and resp.url.startswith(ENROL)
    checked = 0
    for pattern in iter_patterns():
        if pattern in OPEN or pattern.startswith("static") or "format" in pattern:
            continue
        url = concrete(pattern)
        for method in ("get", "post"):
            resp = getattr(c, method)(url)
            if url.startswith("/api/"):
                assert resp.status_code == 403, f"{method.upper()} {url} → {resp.status_code}"
                assert resp.json()["code"] == "second_factor_enrol", url
            else:
                assert resp.status_code == 302, f"{method.upper()} {url} → {resp.status_code}"
                assert resp.url.startswith(ENROL), f"{method.upper()} {url} → {resp.url}"
        checked += 1
    assert checked > 40
    assert c.get(ENROL).status_code == 200
    assert c.get("/healthz").status_code == 200


def test_representative_data_pages_blocked_until_enrolled(tree):
    """Lists, details, dashboard, home and the API with the session: blocked, then open once enrolled."""
    user = testing.make_user("civil_affairs", tree["city"], otp=False)
    inst = testing.make_institution(tree["linhe_town"])
    person = testing.make_elderly(tree["linhe_village"])
    worker = testing.make_practitioner(tree["linhe_town"], institution=inst)
    pages = ["/", reverse("institutions:list"), reverse("institutions:detail", args=[inst.pk]),
             reverse("people:elderly_list"), reverse("people:elderly_detail", args=[person.pk]),
             reverse("workforce:list"), reverse("workforce:detail", args=[worker.pk]),
             reverse("indicators:dashboard"), reverse("indicators:reported_list"), reverse("imports:index")]
    api = ["/api/institutions/", "/api/elderly/", f"/api/elderly/{person.pk}/", "/api/stats/?region=150800"]
    c = Client()
    c.force_login(user)  # no device: force_login leaves the session password-only
    for url in pages:
        resp = c.get(url)
        assert resp.status_code == 302 and resp.url.startswith(ENROL), url
        assert f"next={url.replace('/', '%2F')}" in resp.url
    for url in api:
        resp = c.get(url)
        assert resp.status_code == 403 and "双因素" in resp.json()["detail"], url
    hx = c.get(reverse("regions:tree"), HTTP_HX_REQUEST="true")
    assert hx.status_code == 403 and hx["HX-Redirect"] == ENROL
    # Enrol: the same session now reaches every one of them.
    secret = c.get(ENROL).context["secret"]
    resp = c.post(ENROL, {"code": testing.code_for_secret(secret)})
    assert resp.status_code == 200 and len(resp.context["codes"]) == 10
    for url in pages + api:
        assert c.get(url).status_code == 200, url


def test_optional_role_without_device_works_normally(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    assert not services.has_totp(user)
    c = Client()
    resp = password_login(c, user)
    assert resp.status_code == 302 and resp.url == "/"
    assert c.get("/").status_code == 200
    assert c.get(reverse("people:elderly_list")).status_code == 200
    assert c.get("/api/elderly/").status_code == 200
    assert c.get(VERIFY).status_code == 302  # nothing to verify


def test_password_login_with_device_goes_to_second_step(tree):
    user = testing.make_user("civil_affairs", tree["city"])
    c = Client()
    resp = password_login(c, user, next_url="/institutions/")
    assert resp.status_code == 302 and resp.url == f"{VERIFY}?next=%2Finstitutions%2F"
    assert c.get("/").url.startswith(VERIFY)
    assert c.get("/api/institutions/").json()["code"] == "second_factor_verify"
    assert c.get(ENROL).url.startswith(VERIFY), "a password alone must not replace the device"
    page = c.get(resp.url)
    assert page.status_code == 200 and "登录第二步" in page.content.decode()
    assert "主导航" not in page.content.decode(), "no navigation before the second factor"
    key_before = c.session.session_key
    resp = c.post(VERIFY, {"code": testing.totp_code(user), "next": "/institutions/"})
    assert resp.status_code == 302 and resp.url == "/institutions/"
    assert c.session.session_key != key_before, "the session key rotates when the login completes"
    assert c.session[DEVICE_ID_SESSION_KEY] == testing.totp_device(user).persistent_id
    assert c.get("/").status_code == 200
    assert c.get("/api/institutions/").status_code == 200
    [ok] = events(user, "otp_verify", "success")
    assert ok.detail["method"] == "totp"


def test_wrong_code_refused_with_message_and_audited(tree):
    user = testing.make_user("health", tree["city"])
    c = Client()
    password_login(c, user)
    wrong = f"{(int(testing.totp_code(user)) + 500_000) % 1_000_000:06d}"
    resp = c.post(VERIFY, {"code": wrong})
    assert resp.status_code == 400
    assert "验证码：不正确或已使用过" in resp.content.decode()
    assert c.get("/").url.startswith(VERIFY)
    [fail] = events(user, "otp_verify", "failure")
    assert fail.detail == {"method": "totp", "reason": "wrong_code"}
    assert c.post(VERIFY, {"code": ""}).status_code == 400


def test_totp_replay_in_the_same_step_is_refused(tree):
    user = testing.make_user("auditor", tree["city"])
    code = testing.totp_code(user)
    first = Client()
    password_login(first, user)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    device = testing.totp_device(user)
    assert device.last_t >= 0
    second = Client()
    password_login(second, user)
    resp = second.post(VERIFY, {"code": code})
    assert resp.status_code == 400 and "已使用过" in resp.content.decode()
    assert second.get("/").url.startswith(VERIFY)
    # The service says the same, and the next step's code (within tolerance) is accepted.
    assert not services.second_factor_verify(user=user, code=code).ok
    device.refresh_from_db()
    device.throttle_reset()
    assert services.second_factor_verify(user=user, code=testing.totp_code(user, steps_ahead=1)).ok


def test_failed_codes_are_throttled_and_audited(tree):
    user = testing.make_user("sysadmin", tree["city"])
    c = Client()
    password_login(c, user)
    assert c.post(VERIFY, {"code": "000000" if testing.totp_code(user) != "000000" else "111111"}).status_code == 400
    # Straight after a failure even the right code is refused: the device waits 1 s, then 2, 4, 8 …
    resp = c.post(VERIFY, {"code": testing.totp_code(user)})
    assert resp.status_code == 400 and re.search(r"错误次数过多，请 \d+ 秒后再试", resp.content.decode())
    reasons = [e.detail["reason"] for e in events(user, "otp_verify", "failure")]
    assert reasons == ["wrong_code", "throttled"]
    device = testing.totp_device(user)
    assert device.throttling_failure_count == 1
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timezone.timedelta(seconds=5))
    assert c.post(VERIFY, {"code": testing.totp_code(user)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_throttle_delay_doubles_with_each_failure(tree):
    user = testing.make_user("civil_affairs", tree["city"])
    device = testing.totp_device(user)
    waits = []
    for n in range(1, 7):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=n,
                                                       throttling_failure_timestamp=timezone.now())
        waits.append(services.second_factor_verify(user=user, code=testing.totp_code(user)).wait_seconds)
    assert waits == [1, 2, 4, 8, 16, 32]


# --- enrolment and recovery codes -----------------------------------------------------------------------


def test_enrolment_shows_qr_and_key_then_recovery_codes(tree):
    user = testing.make_user("civil_affairs", tree["city"], otp=False)
    c = Client()
    resp = password_login(c, user)
    assert resp.url.startswith(ENROL)
    page = c.get(resp.url)
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "须启用双因素认证" in html
    secret = page.context["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret) and f'data-secret="{secret}"' in html
    assert c.get(ENROL).context["secret"] == secret, "reloading keeps the key being enrolled"
    bad = c.post(ENROL, {"code": "12345"})
    assert bad.status_code == 400 and "验证码：应为 6 位数字" in bad.content.decode()
    assert not services.has_totp(user)
    done = c.post(ENROL, {"code": testing.code_for_secret(secret), "next": "/people/elderly/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", x) for x in codes)
    assert codes[0] in done.content.decode() and 'href="/people/elderly/"' in done.content.decode()
    device = testing.totp_device(user)
    assert services.totp_secret(device) == secret
    assert c.get("/people/elderly/").status_code == 200
    [ev] = events(user, "otp_enrol", "success")
    assert ev.detail["recovery_codes"] == 10


def test_recovery_codes_are_hashed_and_work_once(tree):
    user = testing.make_user("health", tree["city"])
    codes = services.recovery_codes_replace(user=user)
    stored = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stored) == 10
    plain = {x.replace("-", "") for x in codes} | set(codes)
    assert not plain & set(stored), "recovery codes must not be stored as given"
    assert all(len(t) == 16 for t in stored)
    c = Client()
    password_login(c, user)
    resp = c.post(VERIFY, {"code": codes[3].upper().replace("-", " ")}, follow=True)
    assert resp.status_code == 200 and "还剩 9 个" in resp.content.decode()
    [used] = events(user, "otp_recovery_used")
    assert used.detail == {"remaining": 9}
    assert events(user, "otp_verify", "success")[0].detail["method"] == "recovery"
    again = Client()
    password_login(again, user)
    resp = again.post(VERIFY, {"code": codes[3]})
    assert resp.status_code == 400
    assert services.recovery_codes_left(user=user) == 9


def test_regenerating_recovery_codes_needs_a_verified_session(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    c = Client()
    c.force_login(user)
    assert c.post(reverse("accounts:otp_recovery_codes")).status_code == 403
    TOTPDevice.objects.create(user=user, confirmed=True)
    first = services.recovery_codes_replace(user=user)
    c = verified_client(user)
    resp = c.post(reverse("accounts:otp_recovery_codes"))
    assert resp.status_code == 200 and len(resp.context["codes"]) == 10
    assert not set(first) & set(resp.context["codes"])
    assert not services.second_factor_verify(user=user, code=first[0]).ok, "old codes stop working"
    assert events(user, "otp_recovery_regenerate")


def test_optional_role_may_enrol_and_then_must_verify(tree):
    user = testing.make_user("town_officer", tree["linhe_town"])
    c = Client()
    password_login(c, user)
    account = c.get("/accounts/")
    assert "启用双因素认证" in account.content.decode()
    secret = c.get(ENROL).context["secret"]
    assert c.post(ENROL, {"code": testing.code_for_secret(secret)}).status_code == 200
    later = Client()
    assert password_login(later, user).url.startswith(VERIFY)
    assert later.get("/").url.startswith(VERIFY)


def test_second_factor_comes_before_a_forced_password_change(tree):
    user = testing.make_user("civil_affairs", tree["city"], must_change_password=True)
    c = Client()
    assert password_login(c, user).url.startswith(VERIFY)
    assert c.get("/accounts/password/").url.startswith(VERIFY), "no password change on a password alone"
    c.post(VERIFY, {"code": testing.totp_code(user)})
    assert c.get("/").url == "/accounts/password/"


def test_absolute_session_lifetime_ends_a_password_only_session_too(tree, settings):
    user = testing.make_user("civil_affairs", tree["city"])
    c = Client()
    password_login(c, user)
    session = c.session
    session["login_at"] = time.time() - settings.SESSION_ABSOLUTE_LIFETIME - 5
    session.save()
    resp = c.get(VERIFY)
    assert resp.status_code == 302 and resp.url.startswith("/accounts/login/")


def test_force_login_in_tests_completes_the_factor_only_with_a_device(tree):
    with_device = testing.make_user("civil_affairs", tree["city"])
    without = testing.make_user("civil_affairs", tree["city"], otp=False)
    a, b = Client(), Client()
    a.force_login(with_device)
    b.force_login(without)
    assert a.get("/").status_code == 200
    assert b.get("/").url.startswith(ENROL)


# --- API tokens -----------------------------------------------------------------------------------------


def test_token_is_refused_for_required_role_without_device(tree):
    user = testing.make_user("civil_affairs", tree["city"], otp=False)
    token = Token.objects.create(user=user)  # e.g. made by an operator before 2FA was enrolled
    resp = Client().get("/api/institutions/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert resp.status_code == 401 and "双因素认证" in resp.json()["detail"]
    TOTPDevice.objects.create(user=user, confirmed=True)
    resp = Client().get("/api/institutions/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert resp.status_code == 200, "a token is a separate credential: no per-request code"


def test_token_creation_needs_the_second_factor(tree):
    user = testing.make_user("civil_affairs", tree["city"])
    c = Client()
    password_login(c, user)
    resp = c.post("/accounts/token/", {"action": "issue"})
    assert resp.status_code == 302 and resp.url.startswith(VERIFY)
    assert not Token.objects.filter(user=user).exists()
    c.post(VERIFY, {"code": testing.totp_code(user)})
    resp = c.post("/accounts/token/", {"action": "issue"})
    key = resp.context["new_token_key"]
    assert resp.status_code == 200 and key in resp.content.decode()
    assert Token.objects.get(user=user).key == key
    assert Client().get("/api/elderly/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert "new-token" not in c.get("/accounts/").content.decode(), "the key is shown once"
    assert events(user, "api_token_issue")
    c.post("/accounts/token/", {"action": "revoke"})
    assert not Token.objects.filter(user=user).exists()
    assert Client().get("/api/elderly/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_token_view_refuses_an_unverified_session_even_without_the_middleware(tree, rf):
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.exceptions import PermissionDenied

    from ylyx.accounts.views import api_token

    user = testing.make_user("sysadmin", tree["city"])
    request = rf.post("/accounts/token/", {"action": "issue"})
    request.user = user
    request.session = SessionStore()
    with pytest.raises(PermissionDenied):
        api_token(request)
    assert not Token.objects.filter(user=user).exists()


# --- reset ----------------------------------------------------------------------------------------------


def test_sysadmin_resets_another_users_second_factor(tree):
    admin = testing.make_user("sysadmin", tree["city"])
    target = testing.make_user("civil_affairs", tree["city"])
    services.recovery_codes_replace(user=target)
    Token.objects.create(user=target)
    user_session = verified_client(target)
    c = Client()
    c.force_login(admin)
    assert c.get("/accounts/2fa/reset/").status_code == 200
    resp = c.post("/accounts/2fa/reset/", {"username": target.username, "reason": ""})
    assert resp.status_code == 400 and "理由：请填写重置理由" in resp.content.decode()
    resp = c.post("/accounts/2fa/reset/", {"username": admin.username, "reason": "测试"})
    assert resp.status_code == 400 and "不能重置自己" in resp.content.decode()
    resp = c.post("/accounts/2fa/reset/", {"username": target.username, "reason": "手机遗失"})
    assert resp.status_code == 302
    assert not services.has_totp(target) and services.recovery_codes_left(user=target) == 0
    assert not Token.objects.filter(user=target).exists()
    ev = AuditEvent.objects.get(event_type="otp_reset")
    assert ev.actor_id == admin.pk and ev.object_id == str(target.pk) and ev.reason == "手机遗失"
    assert user_session.get("/").url.startswith(ENROL), "the old verified session must enrol again"


def test_only_sysadmin_may_reset(tree):
    other = testing.make_user("civil_affairs", tree["city"])
    c = Client()
    c.force_login(other)
    assert c.get("/accounts/2fa/reset/").status_code == 403
    resp = c.post("/accounts/2fa/reset/", {"username": other.username, "reason": "x"})
    assert resp.status_code == 403 and services.has_totp(other)


def test_reset_2fa_command(tree):
    user = testing.make_user("auditor", tree["city"])
    out = io.StringIO()
    call_command("reset_2fa", user.username, "--reason", "更换手机", stdout=out)
    assert "已重置" in out.getvalue() and not services.has_totp(user)
    ev = AuditEvent.objects.get(event_type="otp_reset")
    assert ev.actor_id is None and ev.reason == "更换手机" and ev.detail["totp_devices"] == 1
    with pytest.raises(CommandError, match="没有用户"):
        call_command("reset_2fa", "nobody-here", stdout=io.StringIO())


# --- demo helper command --------------------------------------------------------------------------------


def test_totp_code_command_only_in_demo_environments(tree, settings):
    user = testing.make_user("civil_affairs", tree["city"])
    settings.DEBUG = False
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="仅限演示环境"):
        call_command("totp_code", user.username, stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    with override_settings(DEMO_MODE=True):
        call_command("totp_code", user.username, stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert services.second_factor_verify(user=user, code=code).ok
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="没有已绑定的验证器"):
        call_command("totp_code", testing.make_user("leader", tree["city"]).username, stdout=io.StringIO())
