"""Every role logs in through the real login page in Chromium (with the TOTP 第二步 for roles that must use
it) and lands on a home page of its own scope."""

import pytest

from ylyx import testing
from ylyx.core.permissions import Role, requires_second_factor

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_logs_in_and_sees_its_scope(page, live_server):
    tree = testing.region_tree()
    inst = testing.make_institution(tree["linhe_town"], name="临河区演示养老院")
    scopes = {Role.COUNTY_OFFICER: tree["linhe"], Role.TOWN_OFFICER: tree["linhe_town"]}
    for role in Role:
        kwargs = {"institution": inst} if role == Role.OPERATOR else {}
        user = testing.make_user(role.value, None if role == Role.OPERATOR else scopes.get(role, tree["city"]), **kwargs)
        code = (lambda u=user: testing.totp_code(u)) if requires_second_factor(role) else None
        login(page, live_server.url, user.username, testing.PASSWORD, totp_code=code)
        assert page.url.rstrip("/") == live_server.url, f"{role}: still at {page.url}"
        header = page.inner_text("header")
        assert role.label in header
        if role == Role.OPERATOR:
            assert "临河区演示养老院" in page.inner_text("main")
        page.click("header button:has-text('退出')")
        page.wait_for_url("**/accounts/login/")


def test_wrong_password_shows_chinese_error_and_locks_after_limit(page, live_server, settings):
    tree = testing.region_tree()
    user = testing.make_user(Role.COUNTY_OFFICER.value, tree["linhe"])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(page, live_server.url, user.username, "wrong-Password-1")
        assert "用户名或密码错误" in page.inner_text("main")
    login(page, live_server.url, user.username, "wrong-Password-1")
    assert "账号已临时锁定" in page.inner_text("main")
    login(page, live_server.url, user.username, testing.PASSWORD)
    assert "账号已临时锁定" in page.inner_text("main"), "the right password must not open a locked account"
