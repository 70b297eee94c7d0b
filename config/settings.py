"""Settings, all read from the environment (see .env.example).

With nothing set the platform runs on SQLite with a file-based Celery broker, so `make run` needs no
server. Production sets DEBUG=false, SECRET_KEY, DATABASE_URL (PostgreSQL) and REDIS_URL; then the
security settings below switch on and `manage.py check --deploy` is clean.

`DEBUG` (the environment variable) chooses development mode: the development secret key, local host
names, unhashed static files found by the finders, cookies without `Secure`. It does *not* turn on Django's
technical error pages (the yellow traceback and the URL list of a 404), because a clerk trying `make run`
must meet the platform's own Chinese error pages (templates/400.html … 500.html, accounts/views_errors.py)
like production does. Django shows its technical pages whenever its setting `DEBUG` is true
(`django.core.handlers.exception.response_for_exception`: a 404 goes to `technical_404_response`, a 400
and an uncaught exception to `technical_500_response`, before any `handler404`/`handler500` is asked), so
Django's `DEBUG` below is true only when a developer asks for those pages explicitly with
`DEV_DEBUG_PAGES=true` (on top of development mode; never in production). Development mode itself is
`DEVELOPMENT`; tracebacks of failed requests are logged to the console in either case.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import file_storage

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("RUN_DIR", BASE_DIR / ".run"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development mode (the environment's DEBUG, on by default for `make run`); see the docstring above.
DEVELOPMENT = env_bool("DEBUG", True)
# Django's own DEBUG: its technical error pages, only when asked for explicitly in development mode.
DEBUG = DEVELOPMENT and env_bool("DEV_DEBUG_PAGES", False)

_DEV_SECRET = "django-insecure-development-only-not-for-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = _DEV_SECRET
elif not DEVELOPMENT and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEVELOPMENT else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "factories",
    "reporting",
    "cultivation",
]

# The layers that only add security headers come before the health check, so /healthz carries them too.
MIDDLEWARE = [
    "accounts.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.middleware.DomainErrorPageMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "accounts.context_processors.rights",
            ],
        },
    },
]
# Django's own widget templates; the plain inputs written out in Python (same HTML, a quarter of a form's CPU).
FORM_RENDERER = "accounts.widgets.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server and the worker read while the other writes. With WAL, synchronous=NORMAL
    # cannot corrupt the file; it only skips the fsync at every commit (a power cut may lose the last
    # commits of this development database), which was a sixth of `make run`'s seeding time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
    }
# PgBouncer (national deployment, README): the web processes may share server connections in transaction
# pooling mode (DB_POOL_MODE=transaction). A server-side cursor cannot outlive the transaction the pooler
# gives it, so Django's are switched off there (`iterator()` then fetches client-side: the web builds only
# exports up to accounts.exports.SYNC_LIMIT rows), and a session advisory lock means nothing there either
# (accounts.locks). Background workers hold a session lock across a job and stream big exports through
# server-side cursors: they connect directly or through a session-mode pool (DB_POOL_MODE=session).
DB_POOL_MODE = os.environ.get("DB_POOL_MODE", "session")
if DB_POOL_MODE not in ("session", "transaction"):
    raise ImproperlyConfigured("DB_POOL_MODE must be 'session' or 'transaction'.")
if DB_POOL_MODE == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.UsernameRepeatedValidator"},
    {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": 5}},
]
# Passwords older than this many days must be changed before anything else (0 = never expire). 等保 2.0
# asks for periodic change; 90 is the usual choice.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "0"))
# A password-reset link works this long (Django's default of 3 days is far too long for this platform).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT_SECONDS", "3600"))
# Reset requests per e-mail address within PASSWORD_RESET_THROTTLE_WINDOW seconds; further requests are
# answered the same way but send nothing (accounts/views.py PasswordResetView).
PASSWORD_RESET_THROTTLE_LIMIT = int(os.environ.get("PASSWORD_RESET_THROTTLE_LIMIT", "3"))
PASSWORD_RESET_THROTTLE_WINDOW = 3600
# Enterprise self-registration (/accounts/register/): submissions per client address within
# REGISTRATION_THROTTLE_WINDOW seconds, and how long the e-mailed activation link works (once).
REGISTRATION_THROTTLE_LIMIT = int(os.environ.get("REGISTRATION_THROTTLE_LIMIT", "5"))
REGISTRATION_THROTTLE_WINDOW = 3600
# Public objections (异议) to a published grade: submissions per client address a day, and in all a day.
OBJECTION_THROTTLE_PER_ADDRESS = int(os.environ.get("OBJECTION_THROTTLE_PER_ADDRESS", "5"))
OBJECTION_THROTTLE_PER_DAY = int(os.environ.get("OBJECTION_THROTTLE_PER_DAY", "200"))
REGISTRATION_ACTIVATION_HOURS = int(os.environ.get("REGISTRATION_ACTIVATION_HOURS", "72"))
# A browser session without a request for this long is signed out (sliding; 0 = off). API tokens unaffected.
SESSION_IDLE_TIMEOUT_MINUTES = int(os.environ.get("SESSION_IDLE_TIMEOUT_MINUTES", "30"))
# Two-factor sign-in (accounts/twofactor.py): city and district accounts must use an authenticator app when
# this is on; every account may opt in. On by default in production, off in development (`make run`) so the
# demo logins work with the password alone.
REQUIRE_STAFF_2FA = env_bool("REQUIRE_STAFF_2FA", not DEVELOPMENT)
# The name authenticator apps show beside the account; wrong codes slow the device down exponentially
# (1, 2, 4, 8 … seconds after each further failure; django-otp's default factor, stated here on purpose).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "重庆绿色工厂平台")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Proxies whose X-Forwarded-Proto / X-Forwarded-For are believed (addresses or networks, comma-separated).
# Headers from any other peer are dropped (accounts/proxies.py). The default trusts only a proxy on the
# same host; a proxy in another container or machine must be named here.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")

# Login throttling (django-axes): lock a username from one client address after repeated failures, and an
# address that fails too often over all usernames (accounts/lockout.py). The client address is the real
# one behind a trusted proxy.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HANDLER = "accounts.lockout.AddressLimitedAxesHandler"
AXES_CLIENT_IP_CALLABLE = "accounts.proxies.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Single sign-on with OpenID Connect (accounts/oidc.py, mozilla-django-oidc): off unless OIDC_RP_CLIENT_ID is
# set; then the provider's endpoints and the claims that name an account must be set too. The platform never
# creates an account from a sign-on: OIDC_ACCOUNT_CLAIMS (CLAIM=TARGET, comma-separated, tried in order)
# finds the one existing active account, TARGET being credit_code (the account's enterprise's unified social
# credit code), staff_id (the account's 工号) or username.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
if OIDC_ENABLED:
    _oidc_required = {
        name: os.environ.get(name, "")
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_ACCOUNT_CLAIMS",
        )
    }
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT") or None
    if OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")):
        _oidc_required["OIDC_OP_JWKS_ENDPOINT"] = OIDC_OP_JWKS_ENDPOINT or ""
    _oidc_missing = [name for name, value in _oidc_required.items() if not value]
    if _oidc_missing:
        raise ImproperlyConfigured(
            "OIDC_RP_CLIENT_ID is set, so single sign-on also needs: " + ", ".join(_oidc_missing)
        )
    OIDC_RP_CLIENT_SECRET = _oidc_required["OIDC_RP_CLIENT_SECRET"]
    OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc_required["OIDC_OP_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = _oidc_required["OIDC_OP_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = _oidc_required["OIDC_OP_USER_ENDPOINT"]
    # Parsed here with the same rules accounts/oidc.py applies (a wrong target stops the start).
    OIDC_ACCOUNT_CLAIMS = [
        (claim.strip(), target.strip())
        for claim, _sep, target in (
            item.partition("=") for item in _oidc_required["OIDC_ACCOUNT_CLAIMS"].split(",") if item.strip()
        )
    ]
    _oidc_bad = [
        f"{c}={t}"
        for c, t in OIDC_ACCOUNT_CLAIMS
        if not c or t not in ("credit_code", "staff_id", "username")
    ]
    if _oidc_bad:
        raise ImproperlyConfigured(
            "OIDC_ACCOUNT_CLAIMS: each item is CLAIM=TARGET, TARGET one of credit_code, staff_id, username; "
            "not " + ", ".join(_oidc_bad)
        )
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid")
    OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
    OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT_SECONDS", "10"))
    OIDC_CREATE_USER = False
    OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
    AUTHENTICATION_BACKENDS.append("accounts.oidc.AccountClaimBackend")

# Chinese first: the interface is Simplified Chinese unless the user switches explicitly.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Stored files: the media volume by default, an S3-compatible bucket with FILE_STORAGE=s3 (config/file_storage.py).
STORAGES = {
    "default": file_storage.default_storage(os.environ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEVELOPMENT
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In development whitenoise serves the files from the apps' and static/ folders as they are (no
# collectstatic), also while Django's DEBUG is off; its defaults would follow DEBUG.
WHITENOISE_USE_FINDERS = DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEVELOPMENT
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Never served by URL (accounts/files.py): stored files leave only through permission-checked views.
MEDIA_URL = "/media/"
# Behind nginx: the `internal` location aliased to MEDIA_ROOT that those views hand files to
# (X-Accel-Redirect); empty = Django streams them itself.
PROTECTED_MEDIA_PREFIX = os.environ.get("PROTECTED_MEDIA_PREFIX", "")
# With FILE_STORAGE=s3: 0 = downloads stream through Django; N = a permitted download is answered with a
# pre-signed URL of the bucket valid N seconds (the browser must reach the store; accounts/files.py).
FILE_DOWNLOAD_REDIRECT_SECONDS = file_storage.redirect_seconds(os.environ)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Evidence (佐证材料) of annual data: each file at most EVIDENCE_MAX_BYTES, at most EVIDENCE_MAX_FILES_PER_FIELD
# files on one figure and EVIDENCE_MAX_FILES per submission (reporting.services.evidence_add).
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
EVIDENCE_MAX_FILES_PER_FIELD = int(os.environ.get("EVIDENCE_MAX_FILES_PER_FIELD", "10"))
EVIDENCE_MAX_FILES = int(os.environ.get("EVIDENCE_MAX_FILES", "100"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database only: signing out there ends them everywhere (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
# Pages, API lists, counts and dashboard figures served from the cache while nothing they read has changed
# (accounts/datacache.py). It needs a cache every web and worker process shares, hence on with Redis.
DATA_CACHE_ENABLED = env_bool("DATA_CACHE_ENABLED", bool(REDIS_URL))

# Celery: Redis when REDIS_URL is set; otherwise kombu's file transport, which needs no server and
# still lets a separate worker process pick up tasks (used by `make run`).
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 3 * 3600
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 300
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Must exceed the longest task, or acks_late redelivers a task that is still running.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 4 * 3600}
else:
    _broker_dir = RUN_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(RUN_DIR / "broker-processed"),
        "store_processed": False,
        # kombu writes its fanout exchanges here; by default it uses ./control in the working directory
        "control_folder": str(RUN_DIR / "broker-control"),
    }
# The job runner's clocks (accounts/jobs.py): a running job without a heartbeat for JOB_STALE_AFTER_SECONDS
# is taken as dead and sent again by the watchdog, which beat runs every JOB_WATCHDOG_SECONDS. The scale check
# (`make scale-check`) shortens both so a killed worker's run is taken over within a minute.
JOB_STALE_AFTER_SECONDS = int(os.environ.get("JOB_STALE_AFTER_SECONDS", "180"))
JOB_WATCHDOG_SECONDS = float(os.environ.get("JOB_WATCHDOG_SECONDS", "120"))
CELERY_BEAT_SCHEDULE: dict = {
    "clear-expired-sessions": {
        "task": "accounts.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=0),
    },
    "clear-expired-api-tokens": {
        "task": "accounts.clear_expired_tokens",
        "schedule": crontab(hour=3, minute=10),
    },
    "reporting-reminders": {"task": "reporting.send_reminders", "schedule": crontab(hour=8, minute=0)},
    # Overdue notices to non-filers after the close date and reminders to reviewers whose queues hold
    # items waiting longer than REVIEW_REMINDER_DAYS; each is recorded once, so a second run sends nothing.
    "reporting-overdue-and-review-reminders": {
        "task": "reporting.send_overdue_and_review_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
    # Notices (公示) scheduled for a later day are announced on that day; hourly, so a beat that was down at
    # midnight still sends them the same day.
    # A year's data checked as a whole for anomalies (copies, peers) once its window has closed, and again
    # after data were resubmitted; a day with nothing new starts nothing (reporting.services).
    "reporting-anomaly-scans": {
        "task": "reporting.anomaly_scans_when_complete",
        "schedule": crontab(hour=1, minute=30),
    },
    "grading-announce-notices": {"task": "factories.announce_notices", "schedule": crontab(minute=5)},
    "grading-draft-after-window": {
        "task": "factories.draft_runs_after_reporting",
        "schedule": crontab(hour=2, minute=0),
    },
    # The job runner's watchdogs (accounts/jobs.py), one per kind of job: each sends again the jobs of its
    # kind whose worker died, whose message never left (broker down) or was lost. Every two minutes, so a
    # job registered while the broker was down starts soon after it is back.
    "grading-resume-stale-runs": {"task": "factories.resume_stale_runs", "schedule": JOB_WATCHDOG_SECONDS},
    "cultivation-resume-stale-level-jobs": {
        "task": "cultivation.resume_stale_level_jobs",
        "schedule": JOB_WATCHDOG_SECONDS,
    },
    "requeue-waiting-exports": {
        "task": "reporting.requeue_waiting_exports",
        "schedule": JOB_WATCHDOG_SECONDS,
    },
    "requeue-waiting-imports": {
        "task": "reporting.requeue_waiting_imports",
        "schedule": JOB_WATCHDOG_SECONDS,
    },
    "requeue-waiting-anomaly-scans": {
        "task": "reporting.requeue_waiting_anomaly_scans",
        "schedule": JOB_WATCHDOG_SECONDS,
    },
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEVELOPMENT
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "greenfactory@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated call answers 401 with `WWW-Authenticate: Token`.
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "accounts.drf.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON with a nesting limit (API_JSON_MAX_DEPTH); forms and uploads as DRF reads them.
    "DEFAULT_PARSER_CLASSES": [
        "accounts.drf.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # drf-spectacular's, plus the 400/401/403/404/409/429 answers of API.md on every operation that can give them.
    "DEFAULT_SCHEMA_CLASS": "accounts.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "accounts.drf.exception_handler",
}
# No request of this API nests JSON more than a few levels; deeper bodies are refused with 400.
API_JSON_MAX_DEPTH = int(os.environ.get("API_JSON_MAX_DEPTH", "20"))
SPECTACULAR_SETTINGS = {
    "TITLE": "重庆市绿色工厂动态管理平台 API",
    "DESCRIPTION": "Chongqing green-factory dynamic management and gradient cultivation platform, API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that several components share get one stable name (otherwise the schema generator
    # invents hashed names such as Status549Enum and warns).
    "ENUM_NAME_OVERRIDES": {
        "DraftAdoptedStatusEnum": "factories.models.StandardStatus",
        "SubmissionStatusEnum": "reporting.models.SubmissionStatus",
    },
}

# Excel imports (reporting/imports.py): an upload is validated in the background; it may hold at most
# IMPORT_MAX_ROWS non-empty data rows (one more stops the validation with a message asking to split the
# file), and at most IMPORT_MAX_ERRORS of its errors are kept (the rest are counted). Uploads up to
# IMPORT_INLINE_MAX_BYTES (a few hundred rows) are validated within the request, like small exports.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))
IMPORT_MAX_ERRORS = int(os.environ.get("IMPORT_MAX_ERRORS", "1000"))
IMPORT_INLINE_MAX_BYTES = int(os.environ.get("IMPORT_INLINE_MAX_BYTES", str(64 * 1024)))

# API tokens (accounts/tokens.py): each sign-in issues a new one, valid for this many days; a password
# change ends them all.
API_TOKEN_TTL_DAYS = int(os.environ.get("API_TOKEN_TTL_DAYS", "30"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
# A refused form (expired page, cookies off) answers with the platform's 403 page saying what to do.
CSRF_FAILURE_VIEW = "accounts.views_errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The container health check speaks plain HTTP to the web container itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Content-Security-Policy (django-csp; Django 5.2 has none of its own): every script and style comes from
# a file the app serves, nothing inline (tests/accounts/test_security_headers.py scans the templates).
# Images may also be data: URIs, which the Swagger UI stylesheet uses for its icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Browser features the platform never uses are switched off for every page (accounts.middleware).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "payment",
        "serial",
        "usb",
    )
)
if not DEVELOPMENT:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Believed only from TRUSTED_PROXIES: accounts.proxies drops the header from any other peer.
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Reviewers are reminded of items that have waited in their queue longer than this many days.
REVIEW_REMINDER_DAYS = int(os.environ.get("REVIEW_REMINDER_DAYS", "5"))
# Overdue notices go out for reporting years whose close date passed at most this many days ago.
OVERDUE_NOTICE_DAYS = int(os.environ.get("OVERDUE_NOTICE_DAYS", "30"))
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "120"))

# Anomaly flags for reviewers (reporting/anomalies.py, where the sources of these figures are cited).
# A city setting: the city sets it for the platform through the environment.
# |robust z| above which an indicator is flagged as far from its industry peers.
ANOMALY_Z_THRESHOLD = float(os.environ.get("ANOMALY_Z_THRESHOLD", "3.5"))
# CO₂ emitted per tce of each energy carrier (tCO₂/tce) and the band around the expected CO₂ of the
# reported energy mix that is still plausible (a reported CO₂ below low × expected, or above high ×
# expected outside the divisions with process emissions, is flagged).
ANOMALY_CO2_PER_TCE = {
    "coal": "2.77",
    "oil_products": "2.17",
    "natural_gas": "1.64",
    "electricity": "4.64",
    "purchased_heat": "3.22",
}
ANOMALY_CO2_BAND = ("0.5", "2")
ANOMALY_PROCESS_EMISSION_DIVISIONS = ("25", "26", "30", "31", "32")
# Renewable electricity equal to all the electricity consumed is flagged from this many kWh a year.
ANOMALY_FULL_RENEWABLE_KWH = int(os.environ.get("ANOMALY_FULL_RENEWABLE_KWH", "1000000"))

PLATFORM_NAME = _("重庆市绿色工厂动态管理与梯度培育平台")
