"""Settings for the ambassador portal.

Every value an operator may change comes from the environment (or a `.env`
file beside manage.py); `.env.example` lists them all. With DEBUG off the
portal refuses to start while a secret is missing, published or too short.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from portal.kernel.csp import POLICY as CSP_POLICY
from portal.kernel.log_formats import FORMATTERS
from portal.kernel.secret_checks import weak_secrets
from portal.kernel.spreadsheets import SafeCSV, SafeXLSX

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file; ENV_FILE=/dev/null skips it.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Secrets. In development (DEBUG on) fixed, clearly fake defaults keep the
# first run simple; in production each one must be set.
_DEV_ONLY = "insecure-dev-only-"
_SECRETS = {
    "SECRET_KEY": _DEV_ONLY + "django-secret-key",
    "EVENTS_SIGNING_SECRET": _DEV_ONLY + "events-signing-secret",
    # Fernet keys (comma-separated, newest first) that encrypt personal data.
    "PERSONAL_DATA_KEYS": "ZGV2LW9ubHktcGVyc29uYWwtZGF0YS1rZXktMDAwMDA=",
    # HMAC key for the searchable hashes of personal data: never rotated
    # casually, since every stored hash depends on it (docs/SECURITY.md).
    "PERSONAL_DATA_HASH_KEY": _DEV_ONLY + "personal-data-hash-key",
}
_missing = [name for name in _SECRETS if not env.str(name, default="")]
if _missing and not DEBUG:
    raise ImproperlyConfigured(
        "DEBUG is off and these secrets are not set: "
        + ", ".join(_missing)
        + ". See .env.example. On a development machine, `make run` (or `bin/make-env > .env`) writes"
        " a .env with DEBUG on; commands that only read the models also run with"
        " DJANGO_SETTINGS_MODULE=portal.settings_test."
    )


if not DEBUG and (_weak := weak_secrets({name: env.str(name) for name in _SECRETS}, development_defaults=_SECRETS)):
    raise ImproperlyConfigured(
        "DEBUG is off and these secrets are weak or published: "
        + "; ".join(f"{name} {why}" for name, why in _weak)
        + ". Generate new ones (`bin/make-env` prints a fresh set); see docs/SECURITY.md."
    )


def _secret(name):
    return env.str(name, default="") or _SECRETS[name]


SECRET_KEY = _secret("SECRET_KEY")
EVENTS_SIGNING_SECRET = _secret("EVENTS_SIGNING_SECRET")
PERSONAL_DATA_KEYS = [key.strip() for key in _secret("PERSONAL_DATA_KEYS").split(",") if key.strip()]
PERSONAL_DATA_HASH_KEY = _secret("PERSONAL_DATA_HASH_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The stack, ground first (docs/ARCHITECTURE.md): the kernel (app label "portal", which owns
    # the user model), the three apps, and the shell that composes them.
    "portal.kernel",
    "ambassadors",
    "referrals",
    "payouts",
    "portal.shell",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_q",
    "import_export",
]

MIDDLEWARE = [
    "portal.shell.health.HealthzMiddleware",  # first: probes by IP over plain HTTP (docs/DEPLOY.md)
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.kernel.middleware.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.kernel.middleware.NullCharactersRefusedMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "referrals.attribution.middleware.VisitorCookiesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.shell.context_processors.center",
            ],
        },
    },
]
# What the layout prints for a page kept as frames (portal.kernel.frames): the frames' side of
# the context processors above.
FRAME_LAYOUT = "portal.shell.center_frame"

# Database: a SQLite file unless DATABASE_URL says otherwise. Connections are
# kept open between requests (CONN_MAX_AGE) and health-checked before reuse.
if not env.str("DATABASE_URL", default=""):
    (BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'portal.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # SQLite builds an index without the columns it includes for PostgreSQL's plans (referrals'
    # `order_ambassador_newest`): nothing for the embedded shape to be warned about.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The few statements run again and again (portal.kernel.compiled_queries) are prepared after
    # 5 runs on a connection; Django's own cursors bind on the client and never are. Behind a
    # PgBouncer in transaction mode without `max_prepared_statements`, set it false (docs/DEPLOY.md).
    prepared = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5 if prepared else None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when configured, is the cache and django-q2's broker; otherwise the
# cache is local memory and the broker is the database (the embedded shape).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Django's Redis cache with one client per pool (portal/kernel/redis_cache.py).
    CACHES = {"default": {"BACKEND": "portal.kernel.redis_cache.ReusedClientRedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis and written through to the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered template fragments that depend only on the language and the page's own arguments
# (`{% cache None … using="fragments" %}`): kept in each process, for as long as it runs, since
# templates and translations change only with a deployment, which starts new processes.
CACHES["fragments"] = FRAGMENT_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

Q_CLUSTER = {
    "name": "portal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "catch_up": True,
    "label": "Django Q2",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "portal.shell.auth_backends.AccountBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: email is the login; verification is configurable
# ("none" for the demo, "mandatory" in production). Failed logins are
# throttled by allauth's own rate limits, stored in the cache above.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
# The mails allauth sends are the portal's own words (templates/account/email/), the brand in the subject.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,5/300s/key"),
}
# Behind the TLS proxy (docs/DEPLOY.md) every request comes from the proxy's address, so the
# per-IP limits read the client from X-Forwarded-For: the entry this many proxies from the right,
# the one the outermost trusted proxy appended. 0 ignores the header, which any client can write.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_ADAPTER = "portal.shell.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "portal.shell.forms.LoginForm"}
# Personal API tokens open the API this many days after they are made (docs/SECURITY.md).
API_TOKEN_LIFETIME_DAYS = env.int("API_TOKEN_LIFETIME_DAYS", default=90)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "center:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

MAILERS = {
    "default": {
        "BACKEND": env.str(
            "EMAIL_BACKEND",
            default="django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ambassadors@localhost")

# Chinese first, English second; the user switches with the language menu.
LANGUAGE_CODE = "zh-hans"
# Each language is named in itself in the language menu.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security headers and cookies. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER_ENABLED so Django trusts X-Forwarded-Proto.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy: this site's files only, nothing inline (portal/kernel/csp.py, docs/SECURITY.md).
SECURE_CSP = CSP_POLICY
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-import-export: staff import only with an explicit import_<model>
# permission (not every staff user), and exports are csv or xlsx escaped by the
# portal's one function (portal/kernel/spreadsheets.py); import-export's own escaping
# only drops a leading "=" and makes every number text, so it is off.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
EXPORT_FORMATS = [SafeCSV, SafeXLSX]
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# The real-name verifier: staff review in the admin (ambassadors/verifiers.py).
AMBASSADOR_VERIFIER = env.str("AMBASSADOR_VERIFIER", default="ambassadors.verifiers.StaffReviewVerifier")

# Billing events are stored by the API and applied by workers; the API wakes
# one at most this often (a scheduled run catches anything left waiting).
EVENTS_KICK_SECONDS = env.int("EVENTS_KICK_SECONDS", default=1)

# Settlement commits once per chunk of ambassadors holding about this many due rebates, so
# that no transaction lasts minutes and a run that stops resumes where it stopped (R7).
SETTLEMENT_CHUNK_REBATES = env.int("SETTLEMENT_CHUNK_REBATES", default=50_000)

# Referrals (R3). The attribution model is data, not code spread through views (R3.6).
REFERRAL_ATTRIBUTION = {
    "model": env.str("REFERRAL_ATTRIBUTION_MODEL", default="last_visit"),
    "window_days": env.int("REFERRAL_WINDOW_DAYS", default=30),
}
# Where a link lands by default, and the hosts a `?to=` may point at.
REFERRAL_LANDING_URL = env.str("REFERRAL_LANDING_URL", default="/accounts/signup/")
REFERRAL_LANDING_HOSTS = env.list("REFERRAL_LANDING_HOSTS", default=ALLOWED_HOSTS)


# Payouts (R11): withdrawals go to Alipay's fund transfer API in certificate mode
# (python-alipay-sdk DCAliPay). The key and the three certificates are files; a
# gateway URL other than Alipay's serves the local fake gateway (tests/alipay_fake/gateway.py).
def _file(name):
    """A path setting; a relative one is relative to the project, not to the working directory."""
    value = env.str(name, default="")
    return str(BASE_DIR / value) if value else ""


ALIPAY = {
    "app_id": env.str("ALIPAY_APP_ID", default=""),
    "gateway": env.str("ALIPAY_GATEWAY", default="https://openapi.alipay.com/gateway.do"),
    "app_private_key_path": _file("ALIPAY_APP_PRIVATE_KEY_PATH"),
    "app_cert_path": _file("ALIPAY_APP_CERT_PATH"),
    "alipay_public_cert_path": _file("ALIPAY_PUBLIC_CERT_PATH"),
    "alipay_root_cert_path": _file("ALIPAY_ROOT_CERT_PATH"),
    "timeout_seconds": env.float("ALIPAY_TIMEOUT_SECONDS", default=10.0),
}
# The smallest withdrawal, in yuan (R11.1).
WITHDRAWAL_MINIMUM = env.str("WITHDRAWAL_MINIMUM", default="1.00")

# Logs go to stderr, one line each: plain text, or JSON objects (LOG_FORMAT=json) for a
# log collector in production.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is {LOG_FORMAT!r}; it must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": FORMATTERS,
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
