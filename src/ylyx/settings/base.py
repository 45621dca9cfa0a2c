"""Settings shared by every environment; values that differ live in dev/test/prod."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/ylyx
REPO_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("YLYX_VAR_DIR", REPO_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ylyx.core",
    "ylyx.regions",
    "ylyx.accounts",
    "ylyx.audit",
    "ylyx.institutions",
    "ylyx.people",
    "ylyx.workforce",
    "ylyx.imports",
    "ylyx.indicators",
]

MIDDLEWARE = [
    # First, so the request id is set for everything below, including the 500 page and its log line.
    "ylyx.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ylyx.imports.middleware.PrivateUploadMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ylyx.accounts.middleware.SessionLifetimeMiddleware",
    "ylyx.accounts.middleware.PasswordExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ylyx.urls"
WSGI_APPLICATION = "ylyx.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ylyx.core.context_processors.platform",
            ],
        },
    }
]


def sqlite_config(path: Path) -> dj_database_url.DBConfig:
    """SQLite as security.md REL-2 asks: WAL, synchronous=FULL, foreign keys, IMMEDIATE transactions."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASE_URL = os.environ.get("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {"default": sqlite_config(VAR_DIR / "ylyx.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# 等保 §8.1.4.1 a): complexity and periodic change; values are settings (security.md decision 1).
PASSWORD_MIN_LENGTH = 10
PASSWORD_MIN_CLASSES = 3
PASSWORD_MAX_AGE_DAYS = 90
PASSWORD_HISTORY_COUNT = 5
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "ylyx.accounts.validators.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ylyx.accounts.validators.CharacterClassValidator"},
    {"NAME": "ylyx.accounts.validators.PasswordHistoryValidator"},
]

# Lockout (SEC-AUTH-2, DJ-9): by username and by IP.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"

# Sessions: sliding idle timeout plus an absolute lifetime (DJ-8).
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_ABSOLUTE_LIFETIME = 12 * 3600
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
PRIVATE_TMP_DIR = VAR_DIR / "private-tmp"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Field encryption (SEC-DC-2) and blind index: keys are separate; production reads them from the environment.
FIELD_ENCRYPTION_KEYS = {"dev1": "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmch"}
FIELD_ENCRYPTION_ACTIVE_KEY = "dev1"
BLIND_INDEX_KEY = "dev-only-blind-index-key"

# Import limits (DJ-11, ASVS V5.2).
IMPORT_MAX_FILE_BYTES = 30 * 1024 * 1024
IMPORT_MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
IMPORT_MAX_ZIP_MEMBERS = 2000
IMPORT_MAX_ROWS = 200_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

AUDIT_RETENTION_DAYS = 365
REPORT_RETENTION_DAYS = 30

# Childcare rules (standards.md §2.1 [S]); configurable, see docs/standards-config.md.
CHILDCARE_CLASS_RULES = {
    "infant": {"label": "乳儿班", "min_months": 6, "max_months": 12, "max_size": 10, "ratio": 3},
    "junior": {"label": "托小班", "min_months": 12, "max_months": 24, "max_size": 15, "ratio": 5},
    "senior": {"label": "托大班", "min_months": 24, "max_months": 36, "max_size": 20, "ratio": 7},
    "mixed": {"label": "混合编班", "min_months": 18, "max_months": 36, "max_size": 18, "ratio": 5},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only (form encodings cannot say null); Excel uploads take multipart on their own view.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "ylyx.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "ylyx.core.schema.ScopedAutoSchema",
    "EXCEPTION_HANDLER": "ylyx.core.pagination.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ylyx 一老一小 API",
    "DESCRIPTION": "Region-scoped registry, indicators and supervision for elderly care and childcare.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components: read-only fields are never asked for, write-only ones
    # (ID numbers, names, phones) never promised in a response.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "InstitutionStatusEnum": "ylyx.institutions.models.Status",
        "FilingStatusEnum": "ylyx.institutions.models.FilingStatus",
        "IndicatorStatusEnum": "ylyx.indicators.api.STATUSES",
        "ImportBatchStatusEnum": "ylyx.imports.models.Status",
        "ReportedValueStatusEnum": "ylyx.indicators.models.ReportedStatus",
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Every record carries the request id (X-Request-ID), so a 500 page's id finds its traceback in the log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ylyx.core.middleware.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
