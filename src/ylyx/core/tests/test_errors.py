"""Server errors: never a debug page, a plain Chinese page (JSON under /api/) with a request id that is also
in the log line carrying the traceback; the request id travels in X-Request-ID."""

import importlib
import logging

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from ylyx.core.middleware import RequestIdFilter

pytestmark = pytest.mark.urls("ylyx.core.tests.urls_errors")


@pytest.fixture
def logged(caplog):
    """Log records as the configured handler sees them: with the request id filter applied."""
    id_filter = RequestIdFilter()
    caplog.handler.addFilter(id_filter)
    caplog.set_level(logging.ERROR)
    yield caplog
    caplog.handler.removeFilter(id_filter)


def test_page_error_is_a_plain_chinese_page_with_the_request_id(logged, db):
    assert settings.DEBUG is False
    r = Client(raise_request_exception=False).get("/boom/", HTTP_X_REQUEST_ID="req-page-1")
    assert r.status_code == 500 and r["Content-Type"].startswith("text/html")
    text = r.content.decode()
    assert "服务器内部错误" in text and "req-page-1" in text
    assert "Traceback" not in text and "RuntimeError" not in text and "boom" not in text
    assert r["X-Request-ID"] == "req-page-1"
    rec = next(x for x in logged.records if x.name == "django.request")
    assert rec.request_id == "req-page-1" and rec.exc_info and "boom in a page" in str(rec.exc_info[1])


def test_api_error_is_json_with_the_request_id_and_logged_with_traceback(logged, users):
    c = APIClient()
    c.force_authenticate(users["county_officer"])
    r = c.get("/api/boom/", HTTP_X_REQUEST_ID="req-api-1")
    assert r.status_code == 500
    assert r.json() == {"detail": "服务器内部错误", "request_id": "req-api-1"}
    assert r["X-Request-ID"] == "req-api-1"
    rec = next(x for x in logged.records if x.name == "ylyx.api")
    assert rec.request_id == "req-api-1" and rec.exc_info and "boom in the API" in str(rec.exc_info[1])


def test_not_found_is_json_under_api_and_a_chinese_page_elsewhere(db):
    r = Client().get("/api/no-such-thing/")
    assert r.status_code == 404 and r.json() == {"detail": "未找到"}
    r = Client().get("/no-such-page/")
    assert r.status_code == 404 and "您访问的页面不存在" in r.content.decode()


def test_request_id_is_taken_only_when_it_is_a_plain_token(db):
    ok = Client().get("/healthz", HTTP_X_REQUEST_ID="abc-123.X:y_z")
    assert ok["X-Request-ID"] == "abc-123.X:y_z"
    for bad in ("two words", "a" * 65, "x\u2028y", ""):
        r = Client().get("/healthz", HTTP_X_REQUEST_ID=bad)
        assert r["X-Request-ID"] != bad and len(r["X-Request-ID"]) == 32


def test_log_lines_carry_the_request_id():
    conf: dict = settings.LOGGING
    assert "%(request_id)s" in conf["formatters"]["plain"]["format"]
    assert "request_id" in conf["handlers"]["console"]["filters"]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "outside a request", None, None)
    assert RequestIdFilter().filter(record) and getattr(record, "request_id") == "-"  # noqa: B009 - set by the filter


def test_the_demo_settings_do_not_show_debug_pages(monkeypatch):
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    dev = importlib.reload(importlib.import_module("ylyx.settings.dev"))
    assert dev.DEBUG is False
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    assert importlib.reload(dev).DEBUG is True
