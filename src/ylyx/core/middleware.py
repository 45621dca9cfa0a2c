"""Per-request context (request id, IP) for the audit trail, and no-store on pages that may carry PI."""

from __future__ import annotations

import contextvars
import re
import uuid

# A proxy's request id is kept when it is a plain token that fits the audit column (64 characters).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("ylyx_request", default=None)


def current_request_info() -> dict:
    return _current.get() or {}


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-Id", "")
        info = {
            "request_id": given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex,
            "ip": request.META.get("REMOTE_ADDR", ""),
            "user_agent": request.headers.get("User-Agent", "")[:250],
        }
        token = _current.set(info)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        # The same id in the access log (gunicorn_conf) and the audit trail ties a log line to its records.
        response["X-Request-Id"] = info["request_id"]
        if not request.path.startswith("/static/") and not request.path.startswith("/public/"):
            # Pages may carry personal data: never cache them (security.md SEC-RI-2, ASVS V14.2.2).
            response["Cache-Control"] = "no-store"
        return response
