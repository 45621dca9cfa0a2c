"""Per-request context (request id, IP) for the audit trail and the logs, and no-store on pages that may carry PI.

The request id comes from the proxy's ``X-Request-ID`` when it is a plausible id (so one id follows a request
through nginx, the app and the logs), otherwise a fresh one; it is echoed in the response header, stored on
audit rows, added to every log record by :class:`RequestIdFilter`, and shown on the 500 page.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

# A proxy's request id is kept when it is a plain token that fits the audit column (64 characters).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("ylyx_request", default=None)
# Only ids that cannot forge log lines or headers: letters, digits and - _ . :, at most 64 characters.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
HEADER = "X-Request-ID"


def current_request_info() -> dict:
    return _current.get() or {}


def current_request_id() -> str:
    return current_request_info().get("request_id", "")


def incoming_request_id(request) -> str:
    raw = request.headers.get(HEADER, "")
    return raw if _VALID_ID.fullmatch(raw) else uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        info = {
            "request_id": incoming_request_id(request),
            "ip": request.META.get("REMOTE_ADDR", ""),
            "user_agent": request.headers.get("User-Agent", "")[:250],
        }
        request.request_id = info["request_id"]
        token = _current.set(info)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = info["request_id"]
        if not request.path.startswith("/static/") and not request.path.startswith("/public/"):
            # Pages may carry personal data: never cache them (security.md SEC-RI-2, ASVS V14.2.2).
            response["Cache-Control"] = "no-store"
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` ("-" outside a request) so every log format may print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # django.request logs some responses after the middleware has returned; it passes the request.
            from_request = getattr(getattr(record, "request", None), "request_id", "")
            record.request_id = current_request_id() or from_request or "-"
        return True
