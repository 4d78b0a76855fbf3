"""The one settings module of dezhou-carbon. Every value that differs between machines
comes from the environment; README.md lists each variable.

Embedded default: with neither DATABASE_URL nor REDIS_URL set, the product runs on a
SQLite file in `var/`, Celery runs jobs eagerly in-process and the cache is local memory,
so a newcomer needs nothing installed.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEZHOU_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """`1`, `true`, `yes` and `on` (any case) mean True; unset means `default`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "")
    items = [part.strip() for part in raw.split(",") if part.strip()]
    return items or default


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off / "
            "未设置 DJANGO_SECRET_KEY：关闭调试模式时必须设置密钥"
        )
    SECRET_KEY = "insecure-development-only-key-never-use-in-production"
# A short key can be guessed offline from any signed cookie or token; Django's own check
# (security.W009) only warns, and only under `check --deploy`, so production refuses to
# start with one at all.
MIN_SECRET_KEY_LENGTH = 50
if not DEBUG and len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY has {len(SECRET_KEY)} characters; at least "
        f"{MIN_SECRET_KEY_LENGTH} random ones are required when DJANGO_DEBUG is off "
        "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') / "
        f"DJANGO_SECRET_KEY 只有 {len(SECRET_KEY)} 个字符：关闭调试模式时至少需要 "
        f"{MIN_SECRET_KEY_LENGTH} 个随机字符"
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "audit",
    "tasks",
    "indicators",
    "reporting",
    "dashboards",
    "reports",
    "enterprises",
    "footprints",
    "projects",
    "budgets",
    "assessment",
    "pilot",
    "axes",  # login throttling (AXES_* below)
]

MIDDLEWARE = [
    "dezhou_carbon.logging.RequestIdMiddleware",  # first: every later line gets the id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.SessionTimeoutMiddleware",  # after auth and messages
    # After locale and auth, so that its refusal page is in the user's language and layout.
    "dezhou_carbon.middleware.RefuseNulCharactersMiddleware",
    # After auth: an enterprise's energy manager never reaches another enterprise.
    "enterprises.middleware.EnterpriseWallMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dezhou_carbon.middleware.ContentSecurityPolicyMiddleware",
    # Last, as axes requires: turns a lockout into the sign-in page with the reason.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dezhou_carbon.urls"
# A stale form's refusal as the product's 403 page, not Django's bare English one.
CSRF_FAILURE_VIEW = "dezhou_carbon.errors.csrf_failure"
WSGI_APPLICATION = "dezhou_carbon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # In every template: |num, |pct, |moment, |person (dezhou_carbon/display.py) and the
            # period labels quarter_label, ytd_label as people read them (indicators.periods).
            "builtins": ["dezhou_carbon.display_filters", "indicators.templatetags.periods"],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# The development server starts a thread per request, and a persistent connection per
# thread is never reused: they pile up until PostgreSQL's limit (issue 14 #14). Persistent
# connections only where a fixed pool of threads reuses them (gunicorn, Celery).
RUNSERVER = len(sys.argv) > 1 and sys.argv[1] == "runserver"
CONN_MAX_AGE = 0 if RUNSERVER else int(os.environ.get("DJANGO_CONN_MAX_AGE", 60))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # Several writers (runserver threads, eager jobs) share one file.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis, cache and Celery ----------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "dezhou"),
            "TIMEOUT": 24 * 3600,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "dezhou_carbon")
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True  # every job is safe to run twice (see indicators/jobs.py)
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed worker's job is redelivered, not acked
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200}
# A web request must not hang when Redis is down: the durable RecomputeRequest row
# already holds the work, and the sweep re-queues it.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_TASK_TIME_LIMIT = 1800
CELERY_TASK_SOFT_TIME_LIMIT = 1500
CELERY_BEAT_SCHEDULE = {
    "recompute-sweep": {
        "task": "indicators.jobs.recompute_sweep",
        "schedule": timedelta(minutes=2),
    },
    "deadline-reminders": {
        "task": "reporting.jobs.reminders_send",
        "schedule": crontab(hour=9, minute=0),  # 09:00 Asia/Shanghai, office hours
    },
    "budget-sweep": {
        "task": "budgets.jobs.budget_sweep",
        "schedule": timedelta(minutes=30),  # a lost follow-up of a recompute caught up
    },
    "warnings-daily": {
        "task": "dashboards.jobs.warnings_daily",
        "schedule": crontab(hour=9, minute=30),  # deadlines passed overnight, overdue loops
    },
    "nightly-full-recompute": {
        "task": "indicators.jobs.full_recompute_and_reconcile",
        "schedule": crontab(hour=2, minute=0),  # 02:00 Asia/Shanghai, after the day's entry
    },
    "enterprise-plan-deadlines": {
        "task": "enterprises.jobs.plan_deadlines",
        "schedule": crontab(hour=9, minute=20),  # before the daily escalation at 09:30
    },
    "footprint-certificate-reminders": {
        "task": "footprints.jobs.certificate_reminders",
        "schedule": crontab(hour=9, minute=10),
    },
    "reports-sweep": {
        "task": "reports.jobs.report_sweep",
        "schedule": timedelta(minutes=5),
    },
    "pilot-export-sweep": {
        "task": "pilot.jobs.pilot_export_sweep",
        "schedule": timedelta(minutes=5),
    },
    "assessment-export-sweep": {
        "task": "assessment.jobs.assessment_export_sweep",
        "schedule": timedelta(minutes=5),
    },
    "pilot-workspace-sweep": {
        "task": "pilot.jobs.pilot_workspace_sweep",
        "schedule": timedelta(minutes=5),  # lost or old workspace builds (pilot.services)
    },
    "rounds-freeze-sweep": {
        "task": "reports.jobs.round_freeze_sweep",
        "schedule": timedelta(minutes=5),
    },
    # After approvals: the recompute bumps the results generation, and the next run checks
    # the enterprises against the park and refreshes designation suggestions (skipped
    # while the generation is unchanged).
    "enterprise-checks": {
        "task": "enterprises.jobs.enterprise_checks",
        "schedule": timedelta(minutes=3),
    },
}

# --- Auth, i18n, time -----------------------------------------------------------------
# Django's validators with zh/en messages (accounts/passwords.py); no composition or
# rotation rules (ASVS 6.2).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "plan"
LOGOUT_REDIRECT_URL = "login"
# axes first: it refuses a locked-out (username, address) before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling for a park intranet where a department shares one NAT address: count
# failures per (username, address) pair, so neither a colleague behind the same address
# nor the same person elsewhere is locked out, and lift the lock by itself after the
# cool-off instead of waiting for an administrator (ecosystem notes §2.7, ASVS 6.1.1).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", 8))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", 15)))
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not restart it: the page can say when to try again.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # not the cache: Redis may be down
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail already (accounts/signin_audit.py)
AXES_VERBOSE = False  # no banner from every process that starts (commands, workers, benchmarks)
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
# The client address behind our reverse proxy (django-ipware is not installed, so axes'
# AXES_IPWARE_* settings would be ignored): see accounts/signin.py and DJANGO_PROXY_COUNT.
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_address"
# Session limits (accounts/sessions.py): signed out after this long without a request, and
# this long after signing in whatever the activity (ASVS 7.3.1, 7.3.2).
SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("DJANGO_SESSION_IDLE_MINUTES", 30)))
SESSION_ABSOLUTE_TIMEOUT = timedelta(
    hours=float(os.environ.get("DJANGO_SESSION_ABSOLUTE_HOURS", 12))
)
SESSION_ACTIVITY_RESOLUTION = timedelta(minutes=1)  # "last seen" is written at most this often

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files (plotly.js and API docs assets come from installed packages) ---------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# plotly.js ships inside the installed plotly package (so its version always matches the
# figures plotly.py writes); it is served from there as static/plotly/plotly.min.js.
import plotly as _plotly  # noqa: E402

STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("plotly", Path(_plotly.__file__).resolve().parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Scripts: `Authorization: Token <key>` or `Bearer <key>`; only hashes are stored.
        "accounts.tokens.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "dezhou_carbon.pagination.BoundedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": [
        "dezhou_carbon.parsers.BoundedJSONParser",  # deep nesting: a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dezhou_carbon.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dezhou-carbon API",
    "DESCRIPTION": "德州经济技术开发区国家碳达峰试点园区 — plan, targets and indicators.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are for people who use the product, like the API itself.
    "SERVE_PERMISSIONS": ["accounts.permissions.UsesProduct"],
    # Intranet: the docs page loads Swagger UI from the installed sidecar, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `state`, `status` or `kind`: each choice set gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "FigureStateEnum": "indicators.models.Figure.State",
        "DepartmentPeriodStateEnum": "indicators.models.DepartmentPeriod.State",
        "ImportBatchStatusEnum": "indicators.models.ImportBatch.Status",
        "WarningStateEnum": "dashboards.models.EarlyWarning.State",
        "WarningKindEnum": "dashboards.models.EarlyWarning.Kind",
        "WarningLevelEnum": "dashboards.models.EarlyWarning.Level",
        "TaskKindEnum": "tasks.models.Task.Kind",
        "WorkItemStatusEnum": "tasks.progress.STATE_CHOICES",
        "FootprintStudyStateEnum": "footprints.models.Study.State",
        "EnterpriseMeasureStateEnum": "enterprises.models.Measure.State",
        "EnterpriseCertificateKindEnum": "enterprises.models.CertificateKind",
        "EnterpriseCertificateLevelEnum": "enterprises.models.CertificateLevel",
        "EnterpriseCertificateStageEnum": "enterprises.models.CertificateStage",
        "PilotSectionStateEnum": "pilot.models.ReportSection.State",
        "PilotExportStatusEnum": "pilot.models.ReportExport.Status",
        "PilotExportLanguageEnum": "pilot.models.ReportExport.Language",
        "PilotCaseStatusEnum": "pilot.models.Case.Status",
        "PilotExportFormatEnum": "pilot.models.ReportExport.Format",
        "ProjectKindEnum": "projects.models.Project.Kind",
        "ProjectStageEnum": "projects.models.Stage",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dezhou_carbon.api.error_responses_hook",  # every operation documents its errors
    ],
}

# --- Security (production values; `manage.py check --deploy` must pass) -----------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_AGE_SECONDS", 8 * 3600))
HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("DJANGO_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of Django that append to X-Forwarded-For (nginx:
# `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`); 0 without a proxy.
PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", 1 if env_bool("DJANGO_BEHIND_PROXY") else 0))

# --- Product settings -------------------------------------------------------------------
# Tests that need PostgreSQL, Redis or a browser fail instead of skipping when this is set.
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES")
# A recompute request still pending after this long is re-queued by the sweep.
RECOMPUTE_SWEEP_AFTER = timedelta(seconds=int(os.environ.get("RECOMPUTE_SWEEP_AFTER_SECONDS", 60)))
RECOMPUTE_LEASE = timedelta(minutes=15)
# The department that runs the product-footprint accounting (政策创新三): 生态环境分局.
FOOTPRINTS_DEPARTMENT = os.environ.get("FOOTPRINTS_DEPARTMENT", "ECO")
# The department that runs the energy review, carbon assessment and budget: 发改统计部.
PROJECTS_DEPARTMENT = os.environ.get("PROJECTS_DEPARTMENT", "DRS")
REPORTING_DEADLINE_DAYS = int(os.environ.get("REPORTING_DEADLINE_DAYS", 15))
REPORTING_REMIND_DAYS_BEFORE = int(os.environ.get("REPORTING_REMIND_DAYS_BEFORE", 3))
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("DJANGO_EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", 25))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "carbon@localhost")

# An API token is refused this many days after it was created or last renewed; its owner
# renews it on the tokens page or with POST /api/v1/tokens/<id>/renew/.
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", 90))
# Spreadsheet imports are parsed in a child process with this much address space and
# time (indicators/isolated_parse.py): a workbook that needs more is refused, audited, and
# the server lives. A 100,000-row upload needs about 400 MB.
IMPORT_XLSX_MEMORY_MB = int(os.environ.get("IMPORT_XLSX_MEMORY_MB", 1024))
IMPORT_XLSX_TIMEOUT_SECONDS = float(os.environ.get("IMPORT_XLSX_TIMEOUT_SECONDS", 120))

# Monitoring: GET /health/ (dezhou_carbon/health.py) answers 503 when the oldest pending
# recompute request is older than this (workers or the broker are not keeping up).
HEALTH_RECOMPUTE_MAX_AGE_SECONDS = int(os.environ.get("HEALTH_RECOMPUTE_MAX_AGE_SECONDS", 1800))
HEALTH_REDIS_TIMEOUT_SECONDS = float(os.environ.get("HEALTH_REDIS_TIMEOUT_SECONDS", 2))
# Monitors probe gunicorn directly over HTTP on the machine: no redirect to HTTPS there.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# LOG_FORMAT=json: one JSON object per line with the request id (dezhou_carbon/logging.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "dezhou_carbon.logging.PlainFormatter"},
        "json": {"()": "dezhou_carbon.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
if CELERY_TASK_ALWAYS_EAGER:
    # Jobs run in-process (the embedded default, scripts/demo): Celery's line for every job
    # that succeeded (hundreds while the demo loads) would bury the steps the demo names.
    # A failing job still logs its error.
    LOGGING["loggers"] = {"celery.app.trace": {"level": "WARNING"}}
# Celery would replace the root handler with its own text format; in JSON mode the worker
# and beat keep the handler above, so their lines are JSON too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
