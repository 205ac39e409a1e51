"""Settings read from the environment (12-factor). See .env.example for every variable."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base URL for links in emails (no request is at hand when a job sends them).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "guardian",
    "axes",
    "csp",
    "ninja",  # its Swagger UI templates and static files (the API's docs page, no CDN)
    "vindaris.tenancy",
    "goals",
    "work",
    "traceability",
    "imports",
    "api",
    "notifications",
    "updates",
    "discussions",
    "webhooks",
]

MIDDLEWARE = [
    "vindaris.lib.outage.CommitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vindaris.lib.middleware.SessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "vindaris.lib.middleware.VaryOnHtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vindaris.urls"
WSGI_APPLICATION = "vindaris.wsgi.application"

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
                "vindaris.tenancy.context_processors.navigation",
            ],
            # `{% load markdown %}`: what members write, rendered and sanitized (vindaris.lib).
            "libraries": {"markdown": "vindaris.lib.markdown"},
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres:///vindaris"),
}
# PostgreSQL, aware that tenant tables are keyed by (organization_id, id) (vindaris.lib.postgres).
DATABASES["default"]["ENGINE"] = "vindaris.lib.postgres"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's JIT costs more than it saves on our short aggregate queries (measured: make bench).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses to authenticate a locked-out (email, IP) pair before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link lives one day
# Sessions last two weeks of inactivity at most; every request renews the expiry.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
# Sliding expiry without a write per request: vindaris.lib.middleware.SessionRenewalMiddleware.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): 5 failures lock that email from that IP for 15 minutes,
# never the email alone (which would let anyone lock a colleague out).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The login form posts the email in the field named "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_VERBOSE = False

# Content-Security-Policy: scripts only from our own static files; htmx runs without eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Progress bars set their width in a style attribute; no inline <style> elements.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# django-guardian: no anonymous user row; object permissions are only ever granted to members.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / ".state" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (imports, until applied or discarded): a folder the web and worker processes
# share (a volume in docker compose).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".state" / "media")
MEDIA_URL = "/media/"  # never served: uploads are read by the importer only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: EMAIL_URL such as smtp://user:pass@host:587/?tls=True, consolemail://, filemail:////absolute/path
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Vindaris <no-reply@vindaris.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis broker, JSON only, late acks so a killed worker's task is redelivered.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# A shared cache on Redis: progress of background jobs (imports), rate limits.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # redis-py names a Unix socket unix:///path where Celery's broker says redis+socket://
        "LOCATION": env("CACHE_URL", default=REDIS_URL.replace("redis+socket://", "unix://", 1)),
        "KEY_PREFIX": "vindaris",
        "TIMEOUT": 3600,
        # A Redis that hangs must not hang a request: give up within a second.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Requests never talk to the broker (jobs go through tenancy.JobRequest); the dispatcher and the
# fan-outs fail fast on a dead broker and try again on their next run.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 1.0,
    "socket_connect_timeout": 1.0,
    # One immediate reconnect attempt when publishing, no back-off sleep: an enqueue against a
    # dead broker gives up in well under a second (kombu's default would first sleep 2 s).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
# A task running when the broker connection drops cannot be acknowledged and is redelivered;
# stop it rather than let two copies run (Celery 6's default; our tasks are idempotent anyway).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Scheduled jobs (traceability/tasks.py). Fan-outs enqueue one task per organization; their own
# messages expire so that a stopped worker does not come back to a backlog of them.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # The jobs writes asked for (vindaris.lib.jobs), handed to the broker within seconds.
    "dispatch-jobs": {
        "task": "jobs.dispatch",
        "schedule": env.float("JOBS_DISPATCH_SECONDS", default=2.0),
        "options": {"expires": 10},
    },
    "reconcile-flags": {
        "task": "traceability.reconcile_all",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Late in the UTC day, so most organizations' snapshot is dated the day it describes.
    "daily-snapshots": {
        "task": "traceability.snapshot_all",
        "schedule": crontab(hour=23, minute=45),
        "options": {"expires": 6 * 60 * 60},
    },
    # Webhooks: new events become deliveries, deliveries due for an attempt are sent.
    "dispatch-webhooks": {
        "task": "webhooks.dispatch",
        "schedule": env.float("WEBHOOKS_DISPATCH_SECONDS", default=2.0),
        "options": {"expires": 10},
    },
    # Hourly: each organization's digest goes out on its digest day from 08:00 its local time.
    "weekly-digests": {
        "task": "traceability.send_digests_due",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    # Notifications that also come by email leave in batches: one email per member per run.
    "notification-emails": {
        "task": "notifications.send_emails_all",
        "schedule": env.float("NOTIFICATION_EMAIL_SECONDS", default=600.0),
        "options": {"expires": 9 * 60},
    },
    # Hourly: each organization's goal update reminders go out on the first day of its update
    # cycle from 09:00 its local time (updates/tasks.py).
    "update-reminders": {
        "task": "updates.send_reminders_due",
        "schedule": crontab(minute=10),
        "options": {"expires": 50 * 60},
    },
}
# Services ask for jobs (a reconcile after a goal or task change) in their transaction when
# enabled (vindaris.lib.jobs).
JOBS_ENABLED = env.bool("JOBS_ENABLED", default=True)

# Webhooks (webhooks/): writes record events when enabled (vindaris.lib.events); the dispatcher
# turns them into deliveries and sweeps deliveries due for an attempt every few seconds. A
# delivery is tried WEBHOOKS_ATTEMPTS times, WEBHOOKS_RETRY_SECONDS × 2^(n-1) apart (with
# jitter); an endpoint whose WEBHOOKS_DISABLE_AFTER last deliveries all failed is disabled.
# Never to private, loopback or link-local addresses unless WEBHOOKS_ALLOW_PRIVATE (tests).
WEBHOOKS_ENABLED = env.bool("WEBHOOKS_ENABLED", default=True)
WEBHOOKS_ATTEMPTS = env.int("WEBHOOKS_ATTEMPTS", default=8)
WEBHOOKS_RETRY_SECONDS = env.float("WEBHOOKS_RETRY_SECONDS", default=30.0)
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=15)
WEBHOOKS_CONNECT_TIMEOUT = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
WEBHOOKS_READ_TIMEOUT = env.float("WEBHOOKS_READ_TIMEOUT", default=5.0)
WEBHOOKS_LEASE_SECONDS = env.float("WEBHOOKS_LEASE_SECONDS", default=60.0)
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"bad_input": {"()": "vindaris.lib.logs.BadInputAsWarning"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["bad_input"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

MESSAGE_TAGS: dict[int, str] = {}

# The public API (api.v1): requests per personal access token per window, counted in the cache.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
