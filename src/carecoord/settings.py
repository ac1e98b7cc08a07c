"""Django settings for CareCoord, read only from the environment (see PRODUCT.md, "Interfaces").

Invalid values raise ConfigurationError at import, so start-up stops with a message naming the variable.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from carecoord.config import (
    ConfigurationError,
    email_config_from_env,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    parse_database_url,
)

PACKAGE_DIR = Path(__file__).resolve().parent
# The working directory is the installation root: relative paths in the environment resolve against it.
BASE_DIR = Path.cwd()

DEBUG = env_bool("CARECOORD_DEBUG", False)

_data_dir = Path(env_str("CARECOORD_DATA_DIR", "var") or "var")
DATA_DIR = _data_dir if _data_dir.is_absolute() else BASE_DIR / _data_dir

_secret = env_str("CARECOORD_SECRET_KEY")
if _secret is None:
    if not DEBUG:
        raise ConfigurationError(
            "CARECOORD_SECRET_KEY is required (set CARECOORD_DEBUG=1 only for local development and the demo)"
        )
    _secret = (
        "insecure-debug-only-" + secrets.token_urlsafe(8)
        if env_bool("CARECOORD_RANDOM_DEBUG_KEY")
        else ("insecure-debug-only-key-do-not-use-in-production")
    )
elif len(_secret) < 32:
    raise ConfigurationError("CARECOORD_SECRET_KEY must be at least 32 characters long")
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("CARECOORD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

TIME_ZONE = env_time_zone("CARECOORD_TIME_ZONE", "America/New_York")
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True

_database = parse_database_url(
    env_str("CARECOORD_DATABASE_URL", "sqlite:///var/carecoord.sqlite3") or "",
    base_dir=BASE_DIR,
    variable="CARECOORD_DATABASE_URL",
    conn_max_age=env_int("CARECOORD_DB_CONN_MAX_AGE", 60, minimum=0, maximum=3600),
    prepared_statements=env_bool("CARECOORD_DB_PREPARED_STATEMENTS", True),
)
DATABASES = {"default": _database.settings}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FHIR_BASE_URL = (env_str("CARECOORD_FHIR_BASE_URL", "http://carecoord.org/fhir") or "").rstrip("/")
if not FHIR_BASE_URL.startswith(("http://", "https://")):
    raise ConfigurationError("CARECOORD_FHIR_BASE_URL must be an http(s) URL")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "carecoord.common",
    "carecoord.accounts",
    "carecoord.audit",
    "carecoord.patients",
    "carecoord.careteams",
    "carecoord.programs",
    "carecoord.consents",
    "carecoord.notifications",
    "carecoord.clinical",
    "carecoord.assessments",
    "carecoord.tasks",
    "carecoord.careplans",
    "carecoord.contacts",
    "carecoord.notes",
    "carecoord.transitions",
    "carecoord.dayview",
    "carecoord.supervision",
    "carecoord.directory",
    "carecoord.referrals",
    "carecoord.fhir",
    "carecoord.web",
    "carecoord.demo",
]

MIDDLEWARE = [
    "carecoord.common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "carecoord.accounts.middleware.IdleTimeoutMiddleware",
    "carecoord.accounts.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

# The FHIR API authenticates every call with a bearer token and never reads cookies, so it needs none of the
# session, CSRF, MFA, lockout or page middleware (see wsgi.py); security headers and host checks stay.
API_MIDDLEWARE = [
    "carecoord.common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "carecoord.urls"
WSGI_APPLICATION = "carecoord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carecoord.web.context.shell",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_MIN_LENGTH = env_int("CARECOORD_PASSWORD_MIN_LENGTH", 12, minimum=8, maximum=128)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "carecoord.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# MFA: required for every role that sees health data. The demo may relax it with CARECOORD_MFA_REQUIRED=0.
MFA_REQUIRED = env_bool("CARECOORD_MFA_REQUIRED", True)
OTP_TOTP_ISSUER = "CareCoord"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("CARECOORD_LOCKOUT_FAILURES", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = env_int("CARECOORD_LOCKOUT_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Sessions: idle timeout (default 15 minutes), cookies safe by default.
SESSION_IDLE_MINUTES = env_int("CARECOORD_SESSION_IDLE_MINUTES", 15, minimum=1, maximum=24 * 60)
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "carecoord_session" if DEBUG else "__Host-carecoord_session"
CSRF_COOKIE_NAME = "carecoord_csrf" if DEBUG else "__Host-carecoord_csrf"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("CARECOORD_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("CARECOORD_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("CARECOORD_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CARECOORD_CSRF_TRUSTED_ORIGINS", [])

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
        "form-action": ["'self'"],
    }
}

# Bearer tokens for the APIs.
API_TOKEN_DAYS = env_int("CARECOORD_TOKEN_DAYS", 90, minimum=1, maximum=3650)

# Break-the-glass: how long an emergency access grant lasts.
BREAK_GLASS_HOURS = env_int("CARECOORD_BREAK_GLASS_HOURS", 4, minimum=1, maximum=72)

# Community referrals: how long a secure link for a partner without an account works (days), and how long a sent
# referral may wait for the partner to accept it before the requester gets a follow-up task (hours).
REFERRAL_LINK_DAYS = env_int("CARECOORD_REFERRAL_LINK_DAYS", 14, minimum=1, maximum=90)
REFERRAL_ACCEPT_HOURS = env_int("CARECOORD_REFERRAL_ACCEPT_HOURS", 72, minimum=1, maximum=24 * 60)
# How often the worker sends waiting referrals to partners' FHIR servers and reads back their Tasks (minutes): the
# Gravity IG says at least once per business day and not more often than every 15 minutes.
REFERRAL_SYNC_MINUTES = env_int("CARECOORD_REFERRAL_SYNC_MINUTES", 60, minimum=15, maximum=24 * 60)

# Outgoing email (off unless CARECOORD_EMAIL_HOST is set): care team alerts say by email that they are waiting.
EMAIL = email_config_from_env()
if EMAIL.enabled:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = EMAIL.host
    EMAIL_PORT = EMAIL.port
    EMAIL_HOST_USER = EMAIL.user
    EMAIL_HOST_PASSWORD = EMAIL.password
    EMAIL_USE_TLS = EMAIL.tls == "starttls"
    EMAIL_USE_SSL = EMAIL.tls == "ssl"
    EMAIL_TIMEOUT = EMAIL.timeout
    DEFAULT_FROM_EMAIL = SERVER_EMAIL = EMAIL.from_address
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
SITE_URL = EMAIL.site_url
ALERT_EMAIL_KINDS = EMAIL.alert_kinds

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    if not DEBUG
    else {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("CARECOORD_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Lockout is per account: a shared clinic address must not lock out every colleague at once.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
