"""Settings, read from the environment.

With no DATABASE_URL, Tercero runs embedded: a SQLite file and a generated secret key
under var/ in the working directory. Production sets DATABASE_URL to PostgreSQL.
"""

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TERCERO_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _embedded_secret_key() -> str:
    """A per-install secret kept in var/secret_key, generated on first use."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _embedded_secret_key()
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "tercero.web",
    "tercero.platform.tenancy",
    # Django admin on tenancy's site (signed in through /login/ only, one working
    # client); after tenancy, whose templates add the working-client control
    "tercero.platform.tenancy.apps.ScopedAdminConfig",
    "tercero.platform.identity",
    "tercero.platform.audit",
    "tercero.platform.api",
    "tercero.platform.ops",
    "tercero.platform.security",
    "tercero.delivery.workforce",
    "tercero.delivery.engagements",
    "tercero.delivery.work",
    "tercero.delivery.contact",
    "tercero.delivery.planning",
    "tercero.delivery.scheduling",
    "tercero.services.capture",
    "tercero.services.care",
    "tercero.services.payroll",
    "tercero.services.outbound",
    "tercero.services.crm",
    "tercero.governance.quality",
    "tercero.governance.billing",
    "tercero.config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tercero.platform.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # API calls let in by their bearer token skip the session's middleware (*PagesOnly)
    "tercero.config.middleware.BearerDoorMiddleware",
    "tercero.config.middleware.SessionPagesOnly",
    "django.middleware.common.CommonMiddleware",
    "tercero.config.middleware.CsrfPagesOnly",
    "tercero.platform.api.inputs.FormTextMiddleware",
    "tercero.config.middleware.AuthenticationPagesOnly",
    "tercero.platform.identity.middleware.IdleTimeoutMiddleware",
    "tercero.platform.identity.middleware.SecondFactorPendingMiddleware",
    "tercero.config.middleware.MessagesPagesOnly",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tercero.config.middleware.ClientScopeMiddleware",
    "tercero.platform.api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "tercero.config.urls"
WSGI_APPLICATION = "tercero.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tercero.config.navigation.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so two claims can never interleave.
    "transaction_mode": "IMMEDIATE",
    "timeout": 25,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA busy_timeout=25000;"
    ),
}
# Registers the SQL function the audit trail's append-only triggers consult.
SQLITE_ENGINE = "tercero.platform.tenancy.backends.sqlite3"
TEST_DATABASE_NAME = os.environ.get("TERCERO_TEST_DB")


def _database_from_env() -> dj_database_url.DBConfig:
    url = os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": SQLITE_ENGINE,
            "NAME": str(VAR_DIR / "tercero.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": str(VAR_DIR / (TEST_DATABASE_NAME or "test.sqlite3"))},
        }
    database = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")))
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["ENGINE"] = SQLITE_ENGINE
        database["OPTIONS"] = dict(SQLITE_OPTIONS)
        return database
    # Connections are kept between requests (a new one costs more than a small request);
    # the client scope is set per transaction, so a kept connection carries none over.
    database["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
    database["CONN_HEALTH_CHECKS"] = database["CONN_MAX_AGE"] != 0
    # Our PostgreSQL backend sets the row-level-security client per transaction.
    database["ENGINE"] = "tercero.platform.tenancy.backends.postgresql"
    database["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Bind parameters on the server so that psycopg prepares statements a connection
    # repeats (the claim, the routing reads): planning is most of a small query's cost.
    database["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
    if TEST_DATABASE_NAME:
        database["TEST"] = {"NAME": TEST_DATABASE_NAME}
    return database


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity --------------------------------------------------------------------------

AUTH_USER_MODEL = "identity.User"
# Finds people in the all-clients scope: their rows are client data under row-level security.
AUTHENTICATION_BACKENDS = ["tercero.platform.identity.backends.AccountBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tercero.platform.identity.passwords.ContextWordsValidator"},
    {"NAME": "tercero.platform.identity.passwords.BreachedPasswordValidator"},
]

# --- Sessions, cookies, headers --------------------------------------------------------

# Signed out after this long without a request the user made (background refreshes
# do not count); the page warns SESSION_IDLE_WARN_SECONDS before.
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", str(15 * 60)))
SESSION_IDLE_WARN_SECONDS = int(os.environ.get("SESSION_IDLE_WARN_SECONDS", "120"))
# However busy, a session ends this long after sign-in: the provider's own setting (1 to
# 16 hours, on its settings page), else this (a 9-hour shift with its breaks fits).
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
# The cookie outlives the longest absolute lifetime a provider may choose: the session
# ends by the rules above, never because the browser dropped its cookie first.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(16 * 3600)))
if not 3600 <= SESSION_ABSOLUTE_SECONDS <= 16 * 3600 <= SESSION_COOKIE_AGE:
    raise ImproperlyConfigured(
        "SESSION_ABSOLUTE_SECONDS is 1 to 16 hours and SESSION_COOKIE_AGE at least 16 hours."
    )
# A second factor (TOTP) for every provider role and client admins; false only for a
# local trial.
MFA_ENFORCED = _env_bool("MFA_ENFORCED", True)
# Reverse proxies (addresses or networks) whose X-Forwarded-For sign-in limits trust for
# the client's address; without them everyone behind a proxy would share one limit.
# A wrong entry stops start-up here rather than failing sign-ins later.
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(net, strict=False)) for net in _env_list("TRUSTED_PROXIES", "")
]
# A reveal of personal data stays visible this long; then a new reason is needed.
REVEAL_SECONDS = int(os.environ.get("REVEAL_SECONDS", "300"))
LOGIN_URL_PATH = "/login/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind TLS (SECURE_COOKIES=true) browsers are told to use HTTPS only, for a year.
SECURE_HSTS_SECONDS = 31_536_000 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE

from django.utils.csp import CSP  # noqa: E402  (settings need the constants)

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Internationalisation, time ---------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(os.environ.get("TERCERO_MEDIA_DIR", VAR_DIR / "media")).resolve()
# Files attached to work: largest accepted upload, and the types accepted.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Care desk e-mail: the largest raw message taken in, by IMAP and by the raw-mail
# endpoint alike (room for attachments of ATTACHMENT_MAX_BYTES once base64-encoded), and
# how many e-mails one sender may send in a minute before the next opens no ticket.
CARE_MAIL_MAX_BYTES = int(os.environ.get("CARE_MAIL_MAX_BYTES", str(30 * 1024 * 1024)))
CARE_MAIL_PER_SENDER_PER_MINUTE = int(os.environ.get("CARE_MAIL_PER_SENDER_PER_MINUTE", "5"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Signed checkpoints of the audit chain: put them where the database's holders cannot
# rewrite them (another volume, a shipped log); `tercero audit verify` reads them.
AUDIT_CHECKPOINT_DIR = Path(
    os.environ.get("AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints")
).resolve()

# --- Background work ---------------------------------------------------------------------

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        # default: short jobs (SLA sweeps, imports, heartbeats); events: draining the outbox;
        # webhooks: sending deliveries (these two must keep up with intake); long:
        # computations that may take minutes (forecasts, schedules). `tercero serve` gives
        # each its own worker, so no queue waits behind another's work; `tercero worker`
        # takes them all.
        "QUEUES": ["default", "events", "webhooks", "long"],
    }
}
# /readyz fails when no worker has reported within this many seconds.
WORKER_HEARTBEAT_MAX_AGE_SECONDS = int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE_SECONDS", "120"))

# --- API ----------------------------------------------------------------------------------

NINJA_PAGINATION_PER_PAGE = 50
API_MAX_PAGE_SIZE = 200
DATA_UPLOAD_MAX_MEMORY_SIZE = int(
    os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2 * 1024 * 1024))
)
# A form's fields at most: the pay rules editor posts 17 per line for up to 200 lines.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 4000

# --- E-mail ------------------------------------------------------------------------------

# Codes for callers go out through the default mailer, set from EMAIL_* in the
# environment. With no EMAIL_HOST (the embedded mode) messages are written to the
# console instead of being sent.
_email_host = os.environ.get("EMAIL_HOST", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": _env_bool("EMAIL_USE_TLS", True),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "20")),
            },
        }
        if _email_host
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tercero <no-reply@localhost>")
# Where customers reach this installation: links in e-mails (satisfaction surveys) start here.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every line passes the redacting filter: no card numbers, e-mail addresses, account
    # numbers or tokens reach a log. LOG_FILE adds a file beside the console.
    "filters": {"redact": {"()": "tercero.platform.security.logs.RedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        **(
            {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": os.environ["LOG_FILE"],
                    "formatter": "plain",
                    "filters": ["redact"],
                }
            }
            if os.environ.get("LOG_FILE")
            else {}
        ),
    },
    "root": {
        "handlers": ["console", *(["file"] if os.environ.get("LOG_FILE") else [])],
        "level": os.environ.get("LOG_LEVEL", "INFO"),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # the development server's request lines go through the same filter
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# HMRC Real Time Information filing (services/payroll/rti_gateway.py): the Transaction
# Engine's submission endpoint and the Government Gateway sender, from the environment
RTI_GATEWAY_URL = os.environ.get("TERCERO_RTI_URL", "")
RTI_SENDER_ID = os.environ.get("TERCERO_RTI_SENDER_ID", "")
RTI_SENDER_PASSWORD = os.environ.get("TERCERO_RTI_PASSWORD", "")
RTI_GATEWAY_TEST = os.environ.get("TERCERO_RTI_TEST", "1") == "1"  # GatewayTest=1
RTI_GATEWAY_TIMEOUT = float(os.environ.get("TERCERO_RTI_TIMEOUT", "30"))
RTI_POLL_LIMIT = int(os.environ.get("TERCERO_RTI_POLL_LIMIT", "10"))
# HMRC's RTI schemas, installed by the operator (services/payroll/schemas/rti/README.md);
# while required, a return no installed schema checked is not sent
RTI_SCHEMA_DIR = Path(os.environ.get("RTI_SCHEMA_DIR", VAR_DIR / "hmrc-schemas")).resolve()
RTI_REQUIRE_SCHEMAS = os.environ.get("RTI_REQUIRE_SCHEMAS", "1").lower() not in ("0", "false", "no")
