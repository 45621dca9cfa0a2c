"""Per-request context (request id, IP) for the audit trail, and no-store on pages that may carry PI."""

from __future__ import annotations

import contextvars
import uuid

_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("ylyx_request", default=None)


def current_request_info() -> dict:
    return _current.get() or {}


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        info = {
            "request_id": request.headers.get("X-Request-Id") or uuid.uuid4().hex,
            "ip": request.META.get("REMOTE_ADDR", ""),
            "user_agent": request.headers.get("User-Agent", "")[:250],
        }
        token = _current.set(info)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if not request.path.startswith("/static/") and not request.path.startswith("/public/"):
            # Pages may carry personal data: never cache them (security.md SEC-RI-2, ASVS V14.2.2).
            response["Cache-Control"] = "no-store"
        return response
