"""Every login the demo prints works in Chromium and shows that role's own scope (issue: demo logins); for
roles that must use two-factor authentication, with a code from the printed TOTP key."""

import pytest

from ylyx import testing
from ylyx.core.permissions import requires_second_factor
from ylyx.demo.build import build

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_printed_demo_login_works(page, live_server):
    result = build(scale=0.02, log=lambda *_: None)
    assert len(result.logins) >= 9
    for x in result.logins:
        assert bool(x.totp_secret) == requires_second_factor(x.role), x.username
        code = (lambda s=x.totp_secret: testing.code_for_secret(s)) if x.totp_secret else None
        login(page, live_server.url, x.username, x.password, totp_code=code)
        assert page.url.rstrip("/") == live_server.url, f"{x.username} did not reach the home page: {page.url}"
        header = page.inner_text("header")
        assert x.role_label in header, x.username
        main = page.inner_text("main")
        assert "管辖范围" in main
        if x.role in ("county_officer", "town_officer", "civil_affairs", "health"):
            assert page.locator(".cards .card").count() >= 1, f"{x.username} sees no counts"
        page.click("header button:has-text('退出')")
        page.wait_for_url("**/accounts/login/")
