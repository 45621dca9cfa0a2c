"""Two-factor authentication in Chromium: a city administrator's forced enrolment, and a login with a code."""

import pytest

from ylyx import testing

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_admin_is_forced_to_enrol_then_reaches_data(page, live_server):
    tree = testing.region_tree()
    testing.make_institution(tree["linhe_town"], name="临河区演示养老院")
    user = testing.make_user("civil_affairs", tree["city"], otp=False)
    login(page, live_server.url, user.username, testing.PASSWORD)
    assert "/accounts/2fa/enrol/" in page.url
    page.goto(f"{live_server.url}/institutions/")
    assert "/accounts/2fa/enrol/" in page.url, "a data page must send a password-only session to enrolment"
    assert page.locator("nav.side").count() == 0
    assert page.locator(".qr svg").count() == 1 and page.locator(".qr svg").is_visible()
    secret = page.get_attribute("#otp-secret", "data-secret")
    assert secret and secret.replace(" ", "") == page.inner_text("#otp-secret").replace(" ", "")
    page.fill("#id_code", testing.code_for_secret(secret))
    page.click("main button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#recovery-codes li").count() == 10
    assert "只能使用一次" in page.inner_text("main")
    page.click("text=我已保存，继续")
    page.wait_for_url("**/institutions/")
    assert "临河区演示养老院" in page.inner_text("main")
    assert page.locator("nav.side").count() == 1


def test_user_with_device_logs_in_with_password_and_code(page, live_server):
    tree = testing.region_tree()
    user = testing.make_user("health", tree["city"])
    login(page, live_server.url, user.username, testing.PASSWORD)
    assert "/accounts/2fa/verify/" in page.url and "登录第二步" in page.inner_text("main")
    wrong = f"{(int(testing.totp_code(user)) + 1) % 1_000_000:06d}"
    page.fill("#id_code", wrong)
    page.click("main button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "验证码：不正确或已使用过" in page.inner_text("main")
    page.wait_for_timeout(1200)  # the device throttles: one second after one failure
    page.fill("#id_code", testing.totp_code(user))
    page.click("main button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.url.rstrip("/") == live_server.url
    assert "市卫健委管理员" in page.inner_text("header")
    page.goto(f"{live_server.url}/people/infants/")
    assert "/accounts/" not in page.url and page.locator("h1").count() >= 1
