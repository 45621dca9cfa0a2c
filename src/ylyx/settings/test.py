"""Tests: fast hashing, SQLite in a temp file unless DATABASE_URL points at PostgreSQL."""

from .base import *  # noqa: F403
from .base import DATABASE_URL, VAR_DIR, sqlite_config  # noqa: F401

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]
if not DATABASE_URL:
    # The test database itself is in memory (Django's SQLite default), one per xdist worker.
    DATABASES = {"default": sqlite_config(VAR_DIR / "test.sqlite3")}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AXES_FAILURE_LIMIT = 5
