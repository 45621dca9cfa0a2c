"""Settings shared by every environment; values that differ live in dev/test/prod."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
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
    "ylyx.workspace",
    "ylyx.demo",
    "ylyx.supervision",
    "ylyx.assessments",
    "ylyx.subsidies",
    "ylyx.planning",
    "ylyx.visits",
    "ylyx.care",
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
    "django_otp.middleware.OTPMiddleware",
    "ylyx.accounts.middleware.SessionLifetimeMiddleware",
    "ylyx.accounts.middleware.SecondFactorMiddleware",
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
SESSION_REFRESH_SECONDS = 60  # the sliding expiry is renewed at most this often (accounts.middleware)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False

# Second factor (SEC-AUTH-4, 等保 §8.1.4.1 d): TOTP (django-otp). The one rule for who must use it: these roles
# reach nothing but the enrolment page until they have a confirmed device; every other role may enrol from
# 「我的账号」. Anyone with a confirmed device passes the 第二步 page at every login.
OTP_REQUIRED_ROLES = ["civil_affairs", "health", "sysadmin", "auditor"]
OTP_TOTP_ISSUER = "一老一小服务平台"
OTP_RECOVERY_CODE_COUNT = 10
# Failed codes are throttled by django-otp per device: after n failures the next try waits factor × 2^(n-1) s.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# `manage.py totp_code USER` prints a live code only with DEBUG or this switch (demo environments).
DEMO_MODE = os.environ.get("YLYX_DEMO_MODE", "") == "1"

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workspace:home"
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

# Exports (security.md PI-6, SEC-RI-2; docs/operators.md "Exports"). Lists of personal data always export
# through a job with a stated reason; above EXPORT_APPROVAL_THRESHOLD rows, and for every export of minors'
# records, a second person approves first. Other lists download directly up to EXPORT_DIRECT_MAX_ROWS.
EXPORT_DIRECT_MAX_ROWS = 2000
EXPORT_APPROVAL_THRESHOLD = 5000
EXPORT_PI_RESOURCES = ("elderly", "infant", "practitioner")
EXPORT_ALWAYS_APPROVE = ("infant",)
EXPORT_FILE_TTL = timedelta(hours=24)  # a generated file is deleted this long after it was made
EXPORT_PENDING_TTL = timedelta(days=7)  # a request nobody approved or started expires after this
EXPORT_STALE_AFTER = timedelta(minutes=30)  # a job without progress this long is marked failed

# Childcare rules (standards.md §2.1 [S]); configurable, see docs/standards-config.md.
CHILDCARE_CLASS_RULES = {
    "infant": {"label": "乳儿班", "min_months": 6, "max_months": 12, "max_size": 10, "ratio": 3},
    "junior": {"label": "托小班", "min_months": 12, "max_months": 24, "max_size": 15, "ratio": 5},
    "senior": {"label": "托大班", "min_months": 24, "max_months": 36, "max_size": 20, "ratio": 7},
    "mixed": {"label": "混合编班", "min_months": 18, "max_months": 36, "max_size": 18, "ratio": 5},
}

# Supervision (综合监管): every number below is configuration, documented in docs/standards-config.md with its
# source; values marked "platform default" were NOT found in a standard (standards.md §4, §8).
SUPERVISION: dict[str, Any] = {
    "publish_within_workdays": 20,  # 企业信息公示暂行条例 第六条 [V]; applied to inspection results
    "publish_warn_workdays": 5,  # the clock shows “即将到期” this many working days before the deadline
    "rectification_days": {"high": 15, "medium": 30, "low": 60},  # platform default, calendar days
    "complaint_workdays": 15,  # platform default: days to close a complaint, working days
    "force_new_months": 12,  # opened within this many months → forced into the next draw
    "force_complaint_days": 180,  # a complaint upheld within this many days → forced in
    "inspectors_per_target": 2,  # 2 enforcement officers (standards.md §4.1 [S])
    "photo_max_bytes": 8 * 1024 * 1024,
    "photo_max_pixels": 40_000_000,
    "attachments_dir": VAR_DIR / "private-supervision",
    # 突发事件: first report level by severity (Ⅰ特别重大 … Ⅳ一般) and hours before an open incident moves up
    "incident_initial_level": {"1": "province", "2": "province", "3": "city", "4": "county"},
    "incident_escalate_hours": {"county": 24, "city": 72},
}
SUPERVISION_CREDIT: dict[str, Any] = {
    "events": {
        "inspection_pass": {"label": "双随机检查合格", "points": 2},
        "inspection_minor": {"label": "检查发现问题（限期整改）", "points": -3},
        "inspection_fail": {"label": "检查不合格", "points": -10},
        "rectification_done": {"label": "按期完成整改", "points": 1},
        "rectification_overdue": {"label": "逾期未完成整改", "points": -10},
        "complaint_upheld": {"label": "投诉举报经查属实", "points": -5},
        "penalty": {"label": "行政处罚", "points": -20},
        "subsidy_fraud": {"label": "骗取补贴", "points": -40},
        "liability_incident": {"label": "负有责任的安全事故", "points": -30},
        "commendation": {"label": "表彰奖励", "points": 5},
    },
    "scales": [
        {"code": "ylyx-default", "name": "A/B/C/D（平台默认分值，非官方）", "valid_from": "2020-01-01", "base": 100,
         "classes": [["A", 95], ["B", 85], ["C", 70], ["D", None]]},
    ],
    # sampling multiplier per class (standards.md §4.3: A lower, C higher, D highest; numbers NOT FOUND)
    "weights": {"A": "0.5", "B": "1", "C": "1.5", "D": "2"},
    "default_class": "B",
    "rules": {
        "black_event_kinds": ["subsidy_fraud", "liability_incident"],
        "black_consecutive": ["D", 2],
        "red_consecutive": ["A", 2],
        "red_clean_days": 365,
        "repair_min_months": {"default": 12, "subsidy_fraud": 36},
        "black_list_months": 36,
        "red_list_months": 12,
    },
}
SUPERVISION_FOLLOWUP: dict[str, Any] = {
    "months": {"pass": 24, "minor": 12, "fail": 6},
    "credit_factor": {"A": "1.25", "B": "1", "C": "0.75", "D": "0.5"},
    "floor_months": {"elder": 12},  # 养老机构管理办法 第三十八条: on site at least once a year [S]
    "reinspect_after_deadline_days": 10,
}
# Holiday arrangements for years the chinesecalendar package does not know (2027+), from the State Council's
# notice: {2027: {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-06", ...]}}.
SUPERVISION_CALENDAR_SUPPLEMENT: dict[int, dict[str, list[str]]] = {}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ylyx.accounts.authentication.TokenAuthentication",
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
    "DEFAULT_SCHEMA_CLASS": "ylyx.generic.schema.ScopedAutoSchema",
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
        "InspectionOutcomeEnum": "ylyx.supervision.models.Outcome",
        "VisitModeEnum": "ylyx.visits.models.Mode",
        "ImportModeEnum": "ylyx.imports.models.Mode",
        "ComplaintOutcomeEnum": "ylyx.supervision.models.ComplaintOutcome",
        "IndicatorStatusEnum": "ylyx.indicators.api.STATUSES",
        "ImportBatchStatusEnum": "ylyx.imports.models.Status",
        "ReportedValueStatusEnum": "ylyx.indicators.models.ReportedStatus",
        "ImportResourceEnum": "ylyx.imports.models.Resource",
        "ExportResourceEnum": "ylyx.imports.export_jobs.EXPORT_RESOURCES",
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

# The city map (workspace): no external tile server is reachable in the demo, so the base map is the region
# outlines; production may set a tile URL template (e.g. an internal tile server) and its attribution.
MAP_TILE_URL = os.environ.get("YLYX_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("YLYX_MAP_TILE_ATTRIBUTION", "")
HOME_CACHE_SECONDS = int(os.environ.get("YLYX_HOME_CACHE_SECONDS", "300"))

# Planning (规划测算): [S] values, see docs/standards-config.md
PLANNING = {
    "circle_minutes": 15,  # 15分钟养老服务圈 [S]
    "walk_speed_kmh": 4.5,  # older people's walking speed [U]
    "area_m2_per_100_households": 20,  # 新建住宅小区每百户不少于20平方米 (内蒙古自治区养老服务条例, as 赤峰/巴彦淖尔 cite) [S]
}
