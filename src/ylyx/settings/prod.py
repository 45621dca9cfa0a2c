"""Production: secrets and keys from the environment, HTTPS only; `manage.py check --deploy` must be clean."""

import json
import os

from .base import *  # noqa: F403
from .base import MIDDLEWARE

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
FIELD_ENCRYPTION_KEYS = json.loads(os.environ["FIELD_ENCRYPTION_KEYS"])
FIELD_ENCRYPTION_ACTIVE_KEY = os.environ["FIELD_ENCRYPTION_ACTIVE_KEY"]
BLIND_INDEX_KEY = os.environ["BLIND_INDEX_KEY"]

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Static files from the app server itself (WhiteNoise): hashed names, gzip, far-future caching of
# immutable files; a reverse proxy may serve STATIC_ROOT directly instead (docs/operators.md).
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "ylyx.core.storage.StaticFilesStorage"},
}
