"""Stream import uploads straight into ``PRIVATE_TMP_DIR`` (SEC-RI-2) with the size limit applied while reading.

Upload handlers must be chosen before anything reads the request body, and ``CsrfViewMiddleware`` reads it
(for the form token) before any view runs. So this middleware sits after ``SessionMiddleware`` and before
``CsrfViewMiddleware``; it touches only POSTs to the import upload URLs from callers with a session or an
API token, and deletes whatever no batch took once the response is ready. CSRF protection is unchanged.
Without it, Django's default handlers receive the upload (memory, or ``FILE_UPLOAD_TEMP_DIR``) and
``services.create_batch`` copies it into the private area.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.urls import NoReverseMatch, reverse

from . import uploads


def upload_paths() -> set[str]:
    paths = set()
    for name in ("imports:index", "import-batch-list"):
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return paths


class PrivateUploadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.paths: set[str] | None = None

    def __call__(self, request):
        installed = False
        if request.method == "POST" and self.claims_identity(request):
            if self.paths is None:
                self.paths = upload_paths()
            if request.path_info in self.paths:
                uploads.install(request)
                installed = True
        try:
            return self.get_response(request)
        finally:
            if installed:
                uploads.discard_unclaimed(request)

    @staticmethod
    def claims_identity(request) -> bool:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            return True
        return request.headers.get("Authorization", "").startswith("Token ")
