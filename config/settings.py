"""Settings, all from the environment (django-environ), with safe development defaults.

APP_ENV=production switches to production mode: every required variable must be present and well formed
(start-up stops with a message naming the one that is not), and `manage.py check --deploy` is clean.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet, MultiFernet
from django.core.exceptions import ImproperlyConfigured

from core.queues import task_routes

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = Path(environ.Env().str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

APP_ENV = env.str("APP_ENV", default="development")
if APP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"APP_ENV must be 'development' or 'production', not {APP_ENV!r}.")
PRODUCTION = APP_ENV == "production"


def _given(name: str) -> bool:
    return bool(env.ENVIRON.get(name, "").strip())


def _malformed(name: str, reason: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name} is malformed: {reason}")


def _cast(name: str, cast):
    try:
        return env.get_value(name, cast=cast)
    except (ValueError, TypeError) as error:
        raise _malformed(name, str(error)) from error


def required(name: str, cast=str):
    """Read a variable that production mode cannot start without; name it in the error when missing/bad."""
    if not _given(name):
        raise ImproperlyConfigured(f"Environment variable {name} is required in production mode.")
    return _cast(name, cast)


def setting(name: str, default, cast=str):
    """A required variable in production; in development it falls back to a safe local default."""
    if PRODUCTION:
        return required(name, cast=cast)
    return _cast(name, cast) if _given(name) else default


def number(name: str, default: int | float, cast=int):
    """An optional int or float: unset or empty gives the default, anything else must be a number."""
    if not _given(name):
        return default
    try:
        return cast(env.ENVIRON[name].strip())
    except ValueError as error:
        raise _malformed(name, f"expected {'an integer' if cast is int else 'a number'}") from error


_FALSE_STRINGS = ("false", "off", "no", "n", "0")


def flag(name: str, default: bool) -> bool:
    """An optional on/off switch. A typo must not silently read as "off" (environ's bool would)."""
    if not _given(name):
        return default
    value = env.ENVIRON[name].strip().lower()
    if value not in env.BOOLEAN_TRUE_STRINGS + _FALSE_STRINGS:
        raise _malformed(name, "expected true or false")
    return value in env.BOOLEAN_TRUE_STRINGS


def url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    """A URL with one of `schemes` and a host. The value is not echoed: it may hold a password."""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise _malformed(name, f"expected a {' or '.join(s + '://' for s in schemes)} URL with a host")
    return value


def http_url(name: str, default: str) -> str:
    """An optional http(s) base URL, without its trailing slash."""
    value = env.str(name) if _given(name) else default
    return url(name, value, ("https", "http")).rstrip("/")


def host_list(name: str, hosts: list[str]) -> list[str]:
    hosts = [host.strip() for host in hosts if host.strip()]
    if not hosts:
        raise _malformed(name, "expected one or more comma-separated host names")
    return hosts


def fernet_keys(name: str, keys: list[str]) -> list[str]:
    """The keys as core.crypto will use them, built once here so a bad key stops start-up, not a request."""
    keys = [key.strip() for key in keys if key.strip()]
    try:
        MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as error:
        raise _malformed(name, "expected comma-separated url-safe base64 32-byte Fernet keys") from error
    return keys


# --------------------------------------------------------------------------- core

DEBUG = flag("DJANGO_DEBUG", default=not PRODUCTION)
SECRET_KEY = setting("DJANGO_SECRET_KEY", "development-only-insecure-key-generate-one-in-.env-for-real-use")
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("Environment variable DJANGO_SECRET_KEY is malformed: use 50+ random characters.")
ALLOWED_HOSTS = host_list("DJANGO_ALLOWED_HOSTS",
                          setting("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"], cast=list))
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = url("SITE_URL", setting("SITE_URL", "http://127.0.0.1:8000"), ("https", "http")).rstrip("/")

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
    "django_htmx",
    "axes",
    # django-allauth: login, sign-up, e-mail verification, password reset/change, e-mail change, TOTP and
    # recovery codes, and the per-user session list that lets us end a removed member's sessions at once.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "tenancy",
    "core",
    "integrations",
    "integrations.sandbox",
    "deals",
    "imports",
    "invoices",
    "journals",
    "journals.sync",
    "payment_requests",
    "notifications",
    "demo",
    "accounts",  # the account lifecycle (sign-up, invitations, 2FA policy, leaving): top of the import graph
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",  # SECURE_REDIRECT_EXEMPT keeps /healthz on plain HTTP
    "csp.middleware.CSPMiddleware",
    # Before any host validation: load balancers and docker's healthcheck probe by IP.
    "core.middleware.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChosenLanguageMiddleware",  # the user's choice, never the browser's Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenancy.middleware.TenantMiddleware",
    # A member of a tenant that requires 2FA and has none set up reaches only the 2FA set-up pages.
    "accounts.middleware.RequireTwoFactorMiddleware",
    # NUL / lone surrogates in the path, query or a POSTed form: a 400 before any view (after the tenant, so
    # the Japanese error page renders with the header of the logged-in user).
    "core.middleware.BadInputMiddleware",
    "axes.middleware.AxesMiddleware",
    # Idempotency-Key on every API POST (after the user is known; the key is scoped to the user).
    "core.idempotency.IdempotencyMiddleware",
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
                "django.template.context_processors.i18n",
                "tenancy.context_processors.tenancy",
                "accounts.context_processors.accounts",
            ],
        },
    },
]

# --------------------------------------------------------------------------- data stores

_database_url = url("DATABASE_URL", setting("DATABASE_URL", "postgres://postgres@127.0.0.1:54329/hub"),
                    ("postgres", "postgresql"))
DATABASES = {"default": env.db_url_config(_database_url)}
DATABASES["default"]["CONN_MAX_AGE"] = number("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = url("REDIS_URL", setting("REDIS_URL", "redis://127.0.0.1:63799/0"), ("redis", "rediss"))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hub"),
        "TIMEOUT": 300,
    }
}

# --------------------------------------------------------------------------- auth

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out username/address never reaches a password check
    "allauth.account.auth_backends.AuthenticationBackend",  # Django's ModelBackend, by username or e-mail
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username from an address after repeated failures, for a while.
AXES_FAILURE_LIMIT = number("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=number("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = number("PROXY_COUNT", 0)

# django-allauth (accounts/ holds the adapter, forms and our own templates of its pages, Japanese first).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}  # the demo and earlier users log in by username, new ones by e-mail
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]  # + 事業所名 and 氏名 (accounts.forms.SignupForm)
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True  # sign-up and reset never say whether an address has an account
ACCOUNT_CHANGE_EMAIL = True  # one address per user; a new one replaces it only once it is verified
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a link preview (mail scanner) must not confirm: the page asks for a POST
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60  # a reset link works once (the token covers the password) for 3 days
ACCOUNT_SESSION_REMEMBER = True  # as before: the session lasts SESSION_COOKIE_AGE, no "remember me" box
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_NOTIFICATIONS = True  # "your password / e-mail was changed" mails
ACCOUNT_REAUTHENTICATION_TIMEOUT = 10 * 60
ACCOUNT_REAUTHENTICATION_METHODS = {"password", "mfa"}  # no e-mailed codes (login by code is off)
# Sign-up can be switched off for closed deployments (members then join by invitation only).
SIGNUP_ENABLED = flag("SIGNUP_ENABLED", default=True)
ACCOUNT_SIGNUP_ENABLED = SIGNUP_ENABLED
# allauth's rate limits (in the cache, shared by every process). django-axes stays the password lockout (its
# page, its 429): allauth's login_failed limit, checked before axes sees a password, is twice as lenient so axes
# always answers first; it is also what limits wrong 2FA codes (per user). Sign-up is limited per client IP
# (allauth) and per address (accounts.forms.SignupForm, action signup_email).
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"20/m/ip,{2 * AXES_FAILURE_LIMIT}/{int(AXES_COOLOFF_TIME.total_seconds())}s/key",
    "signup": env.str("SIGNUP_RATE_LIMIT", default="10/h/ip"),
    "signup_email": "3/h/key",
    "reset_password": "20/m/ip,5/h/key",
}
ALLAUTH_TRUSTED_PROXY_COUNT = number("PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CRM-会計連携ハブ"
MFA_TOTP_TOLERANCE = 1  # the previous and next 30-second code are accepted too (clock drift, slow typing)
MFA_RECOVERY_CODE_COUNT = 10
USERSESSIONS_TRACK_ACTIVITY = False
# Invitations: a signed, single-use link valid this many days.
INVITATION_EXPIRE_DAYS = number("INVITATION_EXPIRE_DAYS", 7)


# --------------------------------------------------------------------------- e-mail

# One variable: smtp://user:password@host:587 (STARTTLS: smtp+tls://, TLS: smtps://). In development `make run`
# and `make test` start a local SMTP server (scripts/devstack.py) and set it; without one, mail is printed.
_email_url = setting("EMAIL_URL", "consolemail://")
if PRODUCTION:
    url("EMAIL_URL", _email_url, ("smtp", "smtps", "smtp+tls", "smtp+ssl"))
try:
    _email = env.email_url_config(_email_url)  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ...
except (ImproperlyConfigured, ValueError) as error:  # never echo the URL: it may hold a password
    raise _malformed("EMAIL_URL", "expected smtp://, smtps:// or smtp+tls:// with a host") from error
globals().update(_email)
EMAIL_TIMEOUT = number("EMAIL_TIMEOUT_SECONDS", 10)
DEFAULT_FROM_EMAIL = setting("DEFAULT_FROM_EMAIL", "CRM-会計連携ハブ <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The sandbox mailbox (/sandbox/mail/) reads the messages the local SMTP server stored in this Maildir.
SANDBOX_MAILDIR = env.str("SANDBOX_MAILDIR", default="")

# --------------------------------------------------------------------------- i18n

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------- static files (served by the app)

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")) if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --------------------------------------------------------------------------- security

# Request bodies (forms, JSON of the API and of the sandbox) above this are refused with a 400 before parsing
# (core.input_guard); Django's own default, stated here because the JSON parsers rely on it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # the token travels in forms and in the hx-headers of base.html, never read by JS
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = flag("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = number("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes come over plain HTTP (core.middleware.HealthCheckMiddleware)
    # __Host- cookies: HTTPS only, this host only, path / (a sibling subdomain cannot plant or read them)
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Fernet keys for encrypted model fields, newest first (MultiFernet): add a key in front to rotate.
FIELD_ENCRYPTION_KEYS = fernet_keys("FIELD_ENCRYPTION_KEYS", setting(
    "FIELD_ENCRYPTION_KEYS", ["ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMtISE="], cast=list
))

# --------------------------------------------------------------------------- REST API

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: anonymous API calls then get 401 with WWW-Authenticate, not 403. Several revocable tokens
        # per user, with an optional expiry (core.models.ApiToken; DRF's authtoken held one that never expired).
        "core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.IsTenantMember"],
    # DRF's parsers bounded: JSON nesting depth and size, no NUL / lone surrogate in any string (core.input_guard).
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.filters.StableOrderingFilter",
    ],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",  # + the error answers of every operation
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens expire this many days after they are issued (empty: never, unless the client asks for expires_at).
API_TOKEN_TTL_DAYS = number("API_TOKEN_TTL_DAYS", None)
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM-to-accounting hub API",
    "DESCRIPTION": "Tenant-scoped API. Authenticate with a session or `Authorization: Token <key>`; "
    "choose the tenant with the `X-Tenant` header (its public id) when the user belongs to several.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; name each choice set after its model so clients get stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "core.models.Job.Status",
        "SyncRecordStatusEnum": "journals.sync.models.SyncRecord.Status",
        "PaymentRequestStatusEnum": "payment_requests.models.PaymentRequest.Status",
    },
}

# --------------------------------------------------------------------------- Celery

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None  # progress and results live in the Job table
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = number("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = number("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Interactive work (a person waits) and bulk work have their own queues and workers: core.queues.
CELERY_TASK_ROUTES = task_routes()
# core.fair: how many bulk tasks one tenant may run at a time across all workers, and how long a bulk slice
# runs before it yields its slot (it resumes from its cursor at the back of the bulk queue).
BULK_SLOTS_PER_TENANT = number("BULK_SLOTS_PER_TENANT", 1)
BULK_SLICE_SECONDS = number("BULK_SLICE_SECONDS", 30)
# A running bulk task renews its slot's lease every third of this; a killed worker's slot frees itself after it.
BULK_SLOT_LEASE_SECONDS = number("BULK_SLOT_LEASE_SECONDS", 30)
# /metrics (Prometheus) answers only with this bearer token; unset, the endpoint is 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With acks_late, an unacked task is redelivered after this; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
# A request that enqueues while Redis is down must answer quickly: the work is in PostgreSQL and a sweeper
# re-sends it (core.jobs.send_task), so publishing gives up after about a second.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}
# A running job whose heartbeat is older than this lost its worker: no live task runs longer than the hard
# time limit, and retries wait at most that long, so twice the limit cannot misjudge a live one.
JOB_ABANDONED_AFTER_SECONDS = number("JOB_ABANDONED_AFTER_SECONDS", 2 * CELERY_TASK_TIME_LIMIT)
# 会計連携 to freee holds a document this long before calling freee (far longer than one call, timeouts
# included): a worker that dies holding it keeps that document waiting until then, never two deals.
LEDGER_SYNC_LEASE_SECONDS = number("LEDGER_SYNC_LEASE_SECONDS", 300)
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = False

# The whole periodic schedule in one place; each entry expires before its next run.
CELERY_BEAT_SCHEDULE = {
    "core.jobs_fail_abandoned": {
        "task": "core.jobs_fail_abandoned",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 4 * 60},
    },
    "core.jobs_requeue_stale": {
        "task": "core.jobs_requeue_stale",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "core.idempotency_keys_purge": {
        "task": "core.idempotency_keys_purge",
        "schedule": timedelta(hours=1),
        "options": {"expires": 50 * 60},
    },
    "integrations.freee_refresh_idle_connections": {
        "task": "integrations.freee_refresh_idle_connections",
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": 60 * 60},
    },
    "core.sessions_clear_expired": {
        "task": "core.sessions_clear_expired",
        "schedule": crontab(hour=4, minute=10),
        "options": {"expires": 60 * 60},
    },
    # Each run is budgeted to a share of the tenant's daily freee cap (invoices.bulk.SCHEDULE_INTERVAL).
    # Fans out events the signal missed, re-sends lost or abandoned deliveries, re-handles stored callbacks.
    "notifications.sweep": {
        "task": "notifications.sweep",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    # 会計連携 records whose push was lost (broker down) or abandoned (worker died) are sent again.
    "journals.sync_records_requeue_stale": {
        "task": "journals.sync_records_requeue_stale",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 4 * 60},
    },
    # Per-tenant work ticks every minute and takes the tenants whose minute of the interval it is
    # (core.spread): each tenant every 30 (refresh) or 15 (mirror pull) minutes, never all at once.
    "invoices.bulk_refresh_schedule": {
        "task": "invoices.bulk_refresh_schedule",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    # Pull freee's payment-request statuses for tenants with the mirror on (payment_requests.mirror).
    "payment_requests.mirror_pull_schedule": {
        "task": "payment_requests.mirror_pull_schedule",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
}

# --------------------------------------------------------------------------- product switches

SANDBOX_ENABLED = flag("SANDBOX_ENABLED", default=not PRODUCTION)
# freee endpoints: the real ones in production, our sandbox (integrations/sandbox) in development and tests.
_FREEE_DEFAULT = "{site}/sandbox/freee" if SANDBOX_ENABLED else None
FREEE_ACCOUNTS_URL = http_url("FREEE_ACCOUNTS_URL", (
    _FREEE_DEFAULT.format(site=SITE_URL) if _FREEE_DEFAULT else "https://accounts.secure.freee.co.jp"))
FREEE_API_URL = http_url("FREEE_API_URL", (
    _FREEE_DEFAULT.format(site=SITE_URL) if _FREEE_DEFAULT else "https://api.freee.co.jp"))
# freee's web pages for people (取引先 etc.), linked from ours: the sandbox's own pages while the sandbox is on.
FREEE_WEB_URL = http_url("FREEE_WEB_URL", (
    _FREEE_DEFAULT.format(site=SITE_URL) + "/web" if _FREEE_DEFAULT else "https://secure.freee.co.jp"))
FREEE_TIMEOUT_SECONDS = number("FREEE_TIMEOUT_SECONDS", 15.0, cast=float)
# Only benchmarks against the sandbox (with its limits off) turn the client's own limiter off.
FREEE_CLIENT_RATE_LIMIT = flag("FREEE_CLIENT_RATE_LIMIT", default=True)
FREEE_REFRESH_MARGIN_SECONDS = number("FREEE_REFRESH_MARGIN_SECONDS", 600)
# freee's "excessive access" 403 lock-out lasts about ten minutes; only the fault drills shorten it.
FREEE_LOCKOUT_SECONDS = number("FREEE_LOCKOUT_SECONDS", 600)
# LINE WORKS API 2.0: the real hosts in production, the sandbox (/sandbox/lineworks/) in development and tests.
_LW_DEFAULT = "{site}/sandbox/lineworks" if SANDBOX_ENABLED else None
LINEWORKS_AUTH_URL = http_url("LINEWORKS_AUTH_URL", (
    _LW_DEFAULT.format(site=SITE_URL) + "/auth" if _LW_DEFAULT else "https://auth.worksmobile.com"))
LINEWORKS_API_URL = http_url("LINEWORKS_API_URL", (
    _LW_DEFAULT.format(site=SITE_URL) + "/v1.0" if _LW_DEFAULT else "https://www.worksapis.com/v1.0"))
LINEWORKS_TIMEOUT_SECONDS = number("LINEWORKS_TIMEOUT_SECONDS", 10.0, cast=float)
DEMO_CREDENTIALS_FILE = BASE_DIR / ".devdata" / "demo-logins.txt"

# --------------------------------------------------------------------------- Content-Security-Policy

# No inline scripts or styles anywhere (templates use static files only; htmx's own indicator style is off in
# base.html). Forms may post to us and to freee's authorize page (the connect button redirects there).
_FREEE_ACCOUNTS_ORIGIN = "/".join(FREEE_ACCOUNTS_URL.split("/")[:3])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", _FREEE_ACCOUNTS_ORIGIN],
    },
}

# --------------------------------------------------------------------------- logging

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "core.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

