"""Settings, read from the environment (one file for every deployment)."""

from __future__ import annotations

import datetime as dt
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
    # Login protection (docs/security.md): lockout after failed logins, the TOTP second factor.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # django-csp: the Content-Security-Policy header on every page (and its settings checks).
    "csp",
    # Background tasks (Django's Tasks framework, the django-tasks backport) and its database
    # backend (django-tasks-db): documents render in `rectify db_worker` processes.
    "django_tasks",
    "django_tasks_db",
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
    # The province's read-only mirror of cities' ledgers (docs/exchange.md).
    "rectify.mirror",
    "rectify.portal",
    "rectify.api",
    "rectify.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The CSP header (CONTENT_SECURITY_POLICY below); a response that sets its own keeps it.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages (they say why): idle logout, then the second factor and a forced password change.
    "rectify.accounts.middleware.IdleTimeoutMiddleware",
    "rectify.accounts.middleware.AccountGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # django-axes: turns a locked-out login into the login page saying until when.
    "axes.middleware.AxesMiddleware",
    # Last, so it sees a view's exception first: numbers beyond the database's range → 400.
    "rectify.core.middleware.OutOfRangeMiddleware",
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
# Persistent connections (RECTIFY_CONN_MAX_AGE seconds, default 60; 0 = one per request): opening
# one on PostgreSQL (TCP, authentication, backend start) cost a request ~6–17 ms on 127.0.0.1, as
# much as the ledger's queries; on SQLite, opening the file, running the pragmas below and closing
# it again was the largest single cost of an API write (docs/benchmarks.md). Checked before reuse
# (CONN_HEALTH_CHECKS), so a connection the server closed is replaced, not an error.
_CONN_MAX_AGE_DEFAULT = "60"
_db = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=int(os.environ.get("RECTIFY_CONN_MAX_AGE") or _CONN_MAX_AGE_DEFAULT),
    conn_health_checks=True,
)
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
    {"NAME": "rectify.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboards:landing"  # leaders and offices: the dashboard; others: the ledger
LOGOUT_REDIRECT_URL = "accounts:login"

# Login protection (docs/security.md, 等保 2.0 第三级 身份鉴别). django-axes locks one account from
# one address after RECTIFY_LOGIN_FAILURE_LIMIT failed logins for RECTIFY_LOGIN_LOCKOUT_MINUTES;
# axes needs the request in authenticate() (the login form passes it; Client.login does not).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
RECTIFY_LOGIN_FAILURE_LIMIT = int(os.environ.get("RECTIFY_LOGIN_FAILURE_LIMIT", 5))
RECTIFY_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("RECTIFY_LOGIN_LOCKOUT_MINUTES", 15))
AXES_FAILURE_LIMIT = RECTIFY_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=RECTIFY_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during the lockout neither counts nor extends it: the page can say until when.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "rectify.accounts.views.locked_out"
# Logins are in the audit trail; the axes tables only count failures, outside the admin site.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# Behind N reverse proxies the client's address is the Nth from the right in X-Forwarded-For
# (the same rule for the lockout, the audit trail and the API throttles).
RECTIFY_PROXY_COUNT = int(os.environ.get("RECTIFY_PROXY_COUNT", 0))
AXES_CLIENT_IP_CALLABLE = "rectify.accounts.network.client_ip"
# The TOTP second factor (django-otp): required for these roles (city_office, county_office,
# clerk, acceptance, leader, sysadmin, auditor, or "all"; "none" for nobody), optional for others.
RECTIFY_2FA_REQUIRED_ROLES = frozenset(
    r.strip()
    for r in os.environ.get("RECTIFY_2FA_REQUIRED_ROLES", "city_office,sysadmin,auditor").split(",")
    if r.strip() and r.strip() != "none"
)
OTP_TOTP_ISSUER = os.environ.get("RECTIFY_OTP_ISSUER", "督察整改调度平台")
# Sessions end after this many minutes without a request (0: never), and at most this many hours
# after login whatever the activity.
RECTIFY_SESSION_IDLE_MINUTES = int(os.environ.get("RECTIFY_SESSION_IDLE_MINUTES", 30))
SESSION_COOKIE_AGE = int(os.environ.get("RECTIFY_SESSION_MAX_HOURS", 12)) * 3600
# A temporary password from the system administrator's 重置密码 is valid this long, once.
RECTIFY_TEMP_PASSWORD_HOURS = int(os.environ.get("RECTIFY_TEMP_PASSWORD_HOURS", 72))
# API tokens: default and longest validity in days.
RECTIFY_API_TOKEN_DAYS = int(os.environ.get("RECTIFY_API_TOKEN_DAYS", 90))
RECTIFY_API_TOKEN_MAX_DAYS = int(os.environ.get("RECTIFY_API_TOKEN_MAX_DAYS", 365))
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Production defaults (docs/security.md, 等保 2.0 第三级 通信传输; README: configuration).
# RECTIFY_PRODUCTION=1 turns on HTTPS only: a year of HSTS including subdomains, a redirect from
# http://, cookies sent over HTTPS only. Behind a TLS-terminating proxy, RECTIFY_PROXY_SSL_HEADER
# names the header it sets on HTTPS requests ("X-Forwarded-Proto" or "X-Forwarded-Proto=https"),
# and only then: a client could send the header itself to a server reached directly.
RECTIFY_PRODUCTION = env_bool("RECTIFY_PRODUCTION")
SESSION_COOKIE_SECURE = env_bool("RECTIFY_SECURE_COOKIES", RECTIFY_PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("RECTIFY_SECURE_COOKIES", RECTIFY_PRODUCTION)
CSRF_COOKIE_HTTPONLY = True  # no script reads the token from the cookie: pages carry it
if SESSION_COOKIE_SECURE:
    # __Host-: the browser keeps them only from HTTPS, for this host alone, on every path (ASVS 3.4.4).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = int(os.environ.get("RECTIFY_HSTS_SECONDS", 365 * 24 * 3600 if RECTIFY_PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("RECTIFY_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the domain in every browser for months and needs a submission to the list:
# a deliberate choice, off by default (check --deploy's security.W021 is silenced for that).
SECURE_HSTS_PRELOAD = env_bool("RECTIFY_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("RECTIFY_SSL_REDIRECT", RECTIFY_PRODUCTION)
if _proxy_header := os.environ.get("RECTIFY_PROXY_SSL_HEADER", "").strip():
    _name, _, _value = _proxy_header.partition("=")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip() or "https")
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy on every page (django-csp 4; docs/security.md): scripts only from our own
# static files (no inline script, no eval), no framing, forms post only here. Inline style
# *attributes* are allowed (style-src-attr: progress-bar widths, chart heights); inline <style>
# elements are not. The Swagger page adds the hash of its one <style> block (rectify/api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

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
    ("vendor/quill", "quill/dist"),
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


def cache_from_url(url: str) -> dict[str, Any]:
    """RECTIFY_CACHE_URL → Django's cache settings (docs/portal.md): file:///dir (default under var/:
    shared by every process of one machine, needs nothing), locmem:// (one process only),
    redis://host:6379/0 (several machines; needs the `redis` package), db://table (several
    machines; `rectify createcachetable` first), dummy:// (no caching)."""
    scheme, _, rest = url.partition("://")
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest or "rectify"}
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest or "rectify_cache"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": rest,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    raise RuntimeError(f"RECTIFY_CACHE_URL: unknown cache {url!r} (file://, locmem://, redis://, db://, dummy://)")


# The public portal's pages are cached (docs/portal.md): a burst of citizens does not reach the
# database; publishing, close-out and complaint publication invalidate them at once.
CACHES = {"default": cache_from_url(os.environ.get("RECTIFY_CACHE_URL") or f"file://{VAR_DIR / 'cache'}")}
RECTIFY_PUBLIC_CACHE_SECONDS = int(os.environ.get("RECTIFY_PUBLIC_CACHE_SECONDS", 60))
# Exact counts of the ledger and the warning board kept in the cache until the data (the audit
# trail's newest change) or the day changes (rectify.audit.kept); off: counted on every request.
RECTIFY_KEEP_FIGURES = env_bool("RECTIFY_KEEP_FIGURES", True)
# Evidence files (佐证材料): each one up to this size; stored content-addressed under MEDIA_ROOT.
# Licensed 仿宋_GB2312 / 方正小标宋简体 files for the PDFs of official documents (docs/documents.md).
RECTIFY_FONT_DIR = os.environ.get("RECTIFY_FONT_DIR", "")
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
# Daily jobs run after the deadline scan (supervision.daily, a task the scheduler enqueues):
# (callable taking today=, returning the items it handled or their number; label).
RECTIFY_DAILY_JOBS = [
    ("rectify.closeout.services.closeouts_finish", "公示期满销号"),
    ("rectify.documents.handover.handover_due", "交账包"),
    ("rectify.complaints.services.cases_scan", "交办件预警"),
    # Re-hash the audit chain (rectify audit_verify); the count printed is of broken chains.
    ("rectify.audit.services.audit_verify_daily", "审计日志防篡改校验（断链）"),
    # Finished background-task rows older than RECTIFY_TASK_RESULTS_KEEP_DAYS (django-tasks-db).
    ("rectify.supervision.daily.task_results_prune", "清理已完成的后台任务记录"),
    # Fresh planner statistics (ANALYZE / PRAGMA optimize); the count printed is of tables.
    ("rectify.core.dbstats.analyze_database", "数据库统计信息更新（表）"),
]
# The daily jobs run once per day however many schedulers and workers run (supervision.daily):
# a failed job is tried again by the scheduler's next tick, up to this many attempts a day; a job
# still running after RECTIFY_DAILY_JOB_STALE_SECONDS is taken as lost (its worker killed) and
# claimed again. The scheduler looks every RECTIFY_SCHEDULER_TICK_SECONDS.
RECTIFY_DAILY_JOB_ATTEMPTS = int(os.environ.get("RECTIFY_DAILY_JOB_ATTEMPTS", 3))
RECTIFY_DAILY_JOB_STALE_SECONDS = int(os.environ.get("RECTIFY_DAILY_JOB_STALE_SECONDS", 3600))
RECTIFY_SCHEDULER_TICK_SECONDS = int(os.environ.get("RECTIFY_SCHEDULER_TICK_SECONDS", 300))
RECTIFY_TASK_RESULTS_KEEP_DAYS = int(os.environ.get("RECTIFY_TASK_RESULTS_KEEP_DAYS", 14))
# More new warnings than this for one person in one scan arrive as one list (预警汇总).
RECTIFY_REMINDER_DIGEST_AFTER = int(os.environ.get("RECTIFY_REMINDER_DIGEST_AFTER", 5))
# When the scheduler (rectify run_scheduler) runs the daily scan, Asia/Shanghai.
RECTIFY_SCAN_TIME = os.environ.get("RECTIFY_SCAN_TIME", "06:30")

# Background tasks (docs/operations.md): heavy documents render in worker processes
# (`rectify db_worker`, started by scripts/start) from a queue in the database, the same on SQLite
# and PostgreSQL. RECTIFY_TASKS_BACKEND=immediate runs each task inside the request that asks for
# it (the unit tests; a one-process trial without a worker).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[os.environ.get("RECTIFY_TASKS_BACKEND", "database")],
    }
}
# A document job still "running" after this long is taken as lost (its worker was killed) and is
# started again on the next request.
RECTIFY_JOB_STALE_SECONDS = int(os.environ.get("RECTIFY_JOB_STALE_SECONDS", 600))

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
    "DEFAULT_METADATA_CLASS": "rectify.core.api_metadata.Metadata",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Throttling (docs/security.md): 429 with a Chinese message; bad tokens are counted per address
    # by rectify.api.auth before any view runs. One counter per user and period in the cache
    # (rectify.api.throttling: a fixed cost per call, not DRF's list of every call's time).
    "DEFAULT_THROTTLE_CLASSES": [
        "rectify.api.throttling.AnonRateThrottle",
        "rectify.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("RECTIFY_API_RATE_ANON", "60/min"),
        "user": os.environ.get("RECTIFY_API_RATE_USER", "1200/min"),
        "bad_token": os.environ.get("RECTIFY_API_RATE_BAD_TOKEN", "10/min"),
    },
    "NUM_PROXIES": RECTIFY_PROXY_COUNT or None,
}
# The API's OpenAPI schema and Swagger page need a login unless this opens them to anyone.
RECTIFY_PUBLIC_API_DOCS = env_bool("RECTIFY_PUBLIC_API_DOCS", False)
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
        # 来源: every source on the ledger, and the four an item added by hand may have (issue 12).
        "ItemSourceEnum": "rectify.plans.models.ItemSource",
        "HandSourceEnum": "rectify.plans.editing.HAND_SOURCES",
        # 督察轮次 (issue 12): 中央/省级, 例行督察/回头看/专项督察.
        "RoundLevelEnum": "rectify.plans.models.InspectionRound.Level",
        "RoundKindEnum": "rectify.plans.models.InspectionRound.Kind",
        # A share's own status and 包联/分包: named, so check --deploy stays clean (issue 14).
        "ShareStatusEnum": "rectify.plans.models.ShareStatus",
        "LeaderKindEnum": "rectify.plans.models.ProblemLeader.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RECTIFY_LOG_LEVEL", "WARNING")},
}

ADMIN_SITE_HEADER = "督察整改调度平台 · 系统管理"
