"""Authentication rules from security.md §1.1 and DJ-7/8/9: passwords, lockout, expiry, sessions."""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="assignment"

import datetime as dt
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.settings import base as base_settings

pytestmark = pytest.mark.django_db


def messages_for(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as e:
        return e.messages
    return []


def test_production_hasher_is_argon2():
    assert base_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("password,fragment", [
    ("Ab1!", "太短"),
    ("abcdefghijkl", "至少 3 类"),
    ("password1234", "至少 3 类"),
    ("12345678901234", "只包含数字"),
])
def test_weak_passwords_rejected(password, fragment):
    msgs = messages_for(password)
    assert msgs, password
    assert any(fragment in m for m in msgs), msgs


def test_strong_password_accepted():
    assert messages_for("Qingshan-Road-77") == []


def test_recent_password_cannot_be_reused(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    old = testing.PASSWORD
    user.set_password("Brand-New-Pass-9")
    user.save()
    assert any("最近" in m for m in messages_for(old, user))


def test_password_older_than_max_age_forces_change(tree, client, settings):
    user = testing.make_user("county_officer", tree["linhe"])
    type(user).objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1))
    client.force_login(user)
    resp = client.get("/")
    assert resp.status_code == 302 and resp.url == "/accounts/password/"


def test_password_change_clears_flag_and_is_audited(tree, client):
    user = testing.make_user("county_officer", tree["linhe"], must_change_password=True)
    client.force_login(user)
    assert client.get("/").status_code == 302
    resp = client.post("/accounts/password/", {"old_password": testing.PASSWORD,
                                               "new_password1": "Another-Good-Pass-5",
                                               "new_password2": "Another-Good-Pass-5"})
    assert resp.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert AuditEvent.objects.filter(event_type="password_change", actor_id=user.pk).exists()
    assert client.get("/").status_code == 200


def test_lockout_by_username_after_limit(tree, settings):
    user = testing.make_user("county_officer", tree["linhe"])
    for i in range(settings.AXES_FAILURE_LIMIT):
        c = Client(REMOTE_ADDR=f"10.0.0.{i + 1}")  # different IPs: the username alone must lock
        c.post("/accounts/login/", {"username": user.username, "password": "Wrong-pass-123"})
    c = Client(REMOTE_ADDR="10.0.1.1")
    resp = c.post("/accounts/login/", {"username": user.username, "password": testing.PASSWORD})
    assert resp.status_code == 429
    assert "账号已临时锁定" in resp.content.decode()
    assert AuditEvent.objects.filter(event_type="login", outcome="failure").count() >= settings.AXES_FAILURE_LIMIT


def test_successful_login_and_logout_are_audited(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    c = Client()
    resp = c.post("/accounts/login/", {"username": user.username, "password": testing.PASSWORD})
    assert resp.status_code == 302
    c.post("/accounts/logout/")
    events = list(AuditEvent.objects.filter(actor_id=user.pk).values_list("event_type", flat=True))
    assert events[-2:] == ["login", "logout"]


def test_idle_timeout_is_sliding_cookie_age():
    assert base_settings.SESSION_COOKIE_AGE == base_settings.SESSION_IDLE_TIMEOUT
    assert 0 < base_settings.SESSION_REFRESH_SECONDS <= 120


def test_activity_renews_the_idle_expiry_at_most_once_per_interval(tree, client, settings):
    from django.contrib.sessions.models import Session

    user = testing.make_user("county_officer", tree["linhe"])
    client.post("/accounts/login/", {"username": user.username, "password": testing.PASSWORD})
    assert client.get("/").status_code == 200
    key = client.session.session_key
    first = Session.objects.get(pk=key).expire_date
    assert client.get("/").status_code == 200  # within the interval: no write, same expiry
    assert Session.objects.get(pk=key).expire_date == first
    session = client.session
    session["seen_at"] = time.time() - settings.SESSION_REFRESH_SECONDS - 1
    session.save()
    saved = Session.objects.get(pk=key).expire_date
    time.sleep(0.01)
    assert client.get("/").status_code == 200  # the interval has passed: renewed
    assert Session.objects.get(pk=key).expire_date > saved


def test_absolute_session_lifetime_logs_out(tree, client, settings):
    user = testing.make_user("county_officer", tree["linhe"])
    client.post("/accounts/login/", {"username": user.username, "password": testing.PASSWORD})
    assert client.get("/").status_code == 200
    session = client.session
    session["login_at"] = time.time() - settings.SESSION_ABSOLUTE_LIFETIME - 5
    session.save()
    resp = client.get("/")
    assert resp.status_code == 302 and "/accounts/login/" in resp.url
    assert client.get("/").status_code == 302


def test_expired_account_is_logged_out(tree, client):
    user = testing.make_user("county_officer", tree["linhe"], valid_until=dt.date.today() - dt.timedelta(days=1))
    client.force_login(user)
    assert client.get("/").status_code == 302


def test_logout_flushes_server_side_session(tree):
    from django.contrib.sessions.models import Session

    user = testing.make_user("county_officer", tree["linhe"])
    c = Client()
    c.post("/accounts/login/", {"username": user.username, "password": testing.PASSWORD})
    key = c.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    c.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/").status_code == 302
