"""Settings, read from the environment (one file for every deployment)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RECTIFY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("RECTIFY_DEBUG", False)
SECRET_KEY = os.environ.get("RECTIFY_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("RECTIFY_PRODUCTION"):
        raise RuntimeError("RECTIFY_SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - local/dev only
ALLOWED_HOSTS = [h for h in os.environ.get("RECTIFY_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("RECTIFY_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "rectify.core",
    "rectify.audit",
    "rectify.orgs",
    "rectify.accounts",
    "rectify.notifications",
    "rectify.plans",
    "rectify.ingestion",
    "rectify.progress",
    "rectify.supervision",
    "rectify.indicators",
    "rectify.closeout",
    "rectify.complaints",
    "rectify.documents",
    "rectify.dashboards",
    "rectify.portal",
    "rectify.api",
    "rectify.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "rectify.core.context_processors.instance",
                "rectify.accounts.context_processors.viewer",
                "rectify.notifications.context_processors.bell",
            ],
        },
    },
]

# Database: DATABASE_URL selects it; none set = SQLite under var/ (WAL, IMMEDIATE, busy timeout:
# the defaults lose transactions to "database is locked" with several writer processes).
DEFAULT_SQLITE = VAR_DIR / "rectify.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("RECTIFY_CONN_MAX_AGE", "0")))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True) if _db["NAME"] != ":memory:" else None
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
        ),
    }
    _db.setdefault("TEST", {})["NAME"] = os.environ.get("RECTIFY_TEST_SQLITE") or None
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "plans:ledger"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("RECTIFY_SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("RECTIFY_SECURE_COOKIES")
X_FRAME_OPTIONS = "DENY"

# Chinese UI whatever the browser asks for (LocaleMiddleware would switch to English otherwise).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS: list[Any] = [BASE_DIR / "static"]
# Third-party assets installed by npm (package.json) and served locally: no CDN.
NODE_MODULES = BASE_DIR / "node_modules"
# Only the built files are published, not the packages' sources and metadata.
for prefix, folder in [
    ("vendor/bootstrap", "bootstrap/dist"),
    ("vendor/bootstrap-icons", "bootstrap-icons/font"),
    ("vendor/echarts", "echarts/dist"),
]:
    if (NODE_MODULES / folder).exists():
        STATICFILES_DIRS.append((prefix, NODE_MODULES / folder))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("RECTIFY_MEDIA_ROOT", VAR_DIR / "media"))

# Uploads: a plan file larger than this is refused with a clear message before parsing.
RECTIFY_MAX_UPLOAD_BYTES = int(os.environ.get("RECTIFY_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

RECTIFY_PAGE_SIZE = 50
# Evidence files (佐证材料): each one up to this size; stored content-addressed under MEDIA_ROOT.
RECTIFY_MAX_EVIDENCE_BYTES = int(os.environ.get("RECTIFY_MAX_EVIDENCE_BYTES", 20 * 1024 * 1024))

# Warning thresholds (supervision.rules): yellow when due within N days, when reported progress
# is more than this many points behind 序时进度, or a long-term item has had no report this long.
RECTIFY_WARNING_DUE_SOON_DAYS = int(os.environ.get("RECTIFY_WARNING_DUE_SOON_DAYS", 15))
RECTIFY_WARNING_LAG_TOLERANCE = float(os.environ.get("RECTIFY_WARNING_LAG_TOLERANCE", 10))
RECTIFY_WARNING_RECHECK_DAYS = int(os.environ.get("RECTIFY_WARNING_RECHECK_DAYS", 31))
# Shares (a unit's part of a measure): do support (配合) shares count in the measure's roll-up
# (progress, warning, status)? They always report, are warned and are scored on their own.
RECTIFY_SUPPORT_IN_ROLLUP = env_bool("RECTIFY_SUPPORT_IN_ROLLUP", False)
# Training and demo instances: the whole instance lives on this date (YYYY-MM-DD); every page
# shows a banner with it. Unset in production.
RECTIFY_TODAY = os.environ.get("RECTIFY_TODAY", "")
# Supervision notices: default reply period; proposals after this many days red without a
# notice (提醒函), and red this long after a notice (next rung).
RECTIFY_NOTICE_RESPONSE_DAYS = int(os.environ.get("RECTIFY_NOTICE_RESPONSE_DAYS", 7))
RECTIFY_PROPOSE_REMINDER_DAYS = int(os.environ.get("RECTIFY_PROPOSE_REMINDER_DAYS", 7))
RECTIFY_ESCALATE_AFTER_DAYS = int(os.environ.get("RECTIFY_ESCALATE_AFTER_DAYS", 14))
# Close-out: days an accepted item stays on the public 公示 list before it is closed (销号).
RECTIFY_PUBLIC_NOTICE_DAYS = int(os.environ.get("RECTIFY_PUBLIC_NOTICE_DAYS", 7))
# 月通报 (documents/scoring.py states the rule): the score's weights — points for an on-time
# reporting rate of 100 %, for completing every task past its time limit and for having no task
# in red; the fraction of an on-time report a late one earns; points deducted per supervision
# notice and per task reopened in the month. JSON in the environment overrides single keys.
RECTIFY_CIRCULAR_WEIGHTS = {
    "report": 40,
    "complete": 30,
    "green": 30,
    "late": 0.5,
    "notice": 5,
    "reopen": 5,
    **json.loads(os.environ.get("RECTIFY_CIRCULAR_WEIGHTS") or "{}"),
}
# Who is named (点名): the N lowest scores among units below full marks, and every unit scoring
# below the threshold. 工作简报: the masthead's series title.
RECTIFY_CIRCULAR_LAGGARDS = int(os.environ.get("RECTIFY_CIRCULAR_LAGGARDS", 3))
RECTIFY_CIRCULAR_LAGGARD_BELOW = float(os.environ.get("RECTIFY_CIRCULAR_LAGGARD_BELOW", 60))
RECTIFY_BRIEFING_SERIES = os.environ.get("RECTIFY_BRIEFING_SERIES", "")
# Daily jobs the scheduler runs after the deadline scan: (callable taking today=, label).
RECTIFY_DAILY_JOBS = [
    ("rectify.closeout.services.closeouts_finish", "公示期满销号"),
    ("rectify.documents.handover.handover_due", "交账包"),
    ("rectify.complaints.services.cases_scan", "交办件预警"),
]
# More new warnings than this for one person in one scan arrive as one list (预警汇总).
RECTIFY_REMINDER_DIGEST_AFTER = int(os.environ.get("RECTIFY_REMINDER_DIGEST_AFTER", 5))
# When the scheduler (rectify run_scheduler) runs the daily scan, Asia/Shanghai.
RECTIFY_SCAN_TIME = os.environ.get("RECTIFY_SCAN_TIME", "06:30")

# Mail: notifications are emailed only when a mail server is configured (EMAIL_HOST);
# otherwise they stay in the in-app bell.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = os.environ.get("RECTIFY_FROM_EMAIL", "rectify@localhost")
RECTIFY_EMAIL_ENABLED = bool(EMAIL_HOST)
RECTIFY_SITE_URL = os.environ.get("RECTIFY_SITE_URL", "http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rectify.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rectify.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rectify 督察整改调度平台 API",
    "DESCRIPTION": (
        "督察整改调度平台的 JSON API。认证：会话或 `Authorization: Bearer <token>`。"
        "错误：404 不存在或无权查看；403 角色无权操作；409 已被他人处理或修改（请刷新后重试）；"
        "400 其他业务规则，`detail` 为中文说明。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "rectify.api.schema.stable_integer_bounds",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ItemStatusEnum": "rectify.plans.models.ItemStatus",
        "UnitKindEnum": "rectify.orgs.models.UnitKind",
        "ReportStatusEnum": "rectify.progress.models.ReportStatus",
        "ReportKindEnum": "rectify.progress.models.ReportKind",
        "NotificationKindEnum": "rectify.notifications.models.Notification.Kind",
        "NoticeKindEnum": "rectify.supervision.models.NoticeKind",
        "NoticeStatusEnum": "rectify.supervision.models.NoticeStatus",
        "ExtensionStatusEnum": "rectify.supervision.models.ExtensionStatus",
        "FlagKindEnum": "rectify.plans.models.FlagKind",
        "DocStatusEnum": "rectify.documents.models.DocStatus",
        "CaseStatusEnum": "rectify.complaints.models.CaseStatus",
        "VerdictEnum": "rectify.complaints.models.Verdict",
        "CloseoutStatusEnum": "rectify.closeout.models.CloseoutStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RECTIFY_LOG_LEVEL", "WARNING")},
}

ADMIN_SITE_HEADER = "督察整改调度平台 · 系统管理"
