"""Demo project settings, configured from the environment (django-environ).

JOBS_BACKEND   immediate | database | huey          (default: database)
DATABASE_URL   any django-environ URL               (default: SQLite file db.sqlite3)
REDIS_URL      redis://host:port/db, for huey mode
EMAIL_URL      e.g. smtp://host:25 or consolemail:// (default: consolemail://)
JOBS_LEASE_SECONDS, JOBS_PREFETCH   JOBS["LEASE_SECONDS"] and JOBS["PREFETCH"]
JOBS_LOG_LEVEL the level of the django_jobs and django.tasks loggers (default: INFO)
SECRET_KEY, DEBUG
"""

from pathlib import Path

import django
import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, True),
    JOBS_BACKEND=(str, "database"),
    REDIS_URL=(str, "redis://127.0.0.1:6379/0"),
)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="demo-only-insecure-secret-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_jobs",
    "testproject.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "testproject.urls"
WSGI_APPLICATION = "testproject.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

BACKENDS = {
    "immediate": "django_jobs.backends.ImmediateBackend",
    "database": "django_jobs.backends.DatabaseBackend",
    "huey": "django_jobs.backends.HueyBackend",
}
JOBS_BACKEND = env("JOBS_BACKEND")
if JOBS_BACKEND not in BACKENDS:
    raise environ.ImproperlyConfigured(
        f"JOBS_BACKEND must be one of {sorted(BACKENDS)}, got: {JOBS_BACKEND!r}"
    )
TASKS = {
    "default": {
        "BACKEND": BACKENDS[JOBS_BACKEND],
        "QUEUES": ["default", "emails", "webhooks", "maintenance"],
        "OPTIONS": {"REDIS_URL": env("REDIS_URL")} if JOBS_BACKEND == "huey" else {},
    }
}

JOBS = {
    "LEASE_SECONDS": env.float("JOBS_LEASE_SECONDS", default=60.0),
    "PREFETCH": env.int("JOBS_PREFETCH", default=8),
    "CREDIT_ACCOUNT_MODEL": "shop.Organization",
    "SCHEDULES": {
        "shop.sync_inventory": {
            "task": "testproject.shop.tasks.sync_inventory",
            "cron": "*/5 * * * *",
            "args": ["SKU-ALL"],
        },
    },
}


def mail_settings(config: dict) -> dict:
    """EMAIL_URL as MAILERS on Django 6.1+, as the older EMAIL_* settings before."""
    if django.VERSION < (6, 1):
        return config
    option_names = {
        "EMAIL_HOST": "host",
        "EMAIL_PORT": "port",
        "EMAIL_HOST_USER": "username",
        "EMAIL_HOST_PASSWORD": "password",
        "EMAIL_USE_TLS": "use_tls",
        "EMAIL_USE_SSL": "use_ssl",
        "EMAIL_FILE_PATH": "file_path",
    }
    options = {option_names[k]: v for k, v in config.items() if k in option_names and v}
    return {"MAILERS": {"default": {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": options}}}


vars().update(mail_settings(env.email_url("EMAIL_URL", default="consolemail://")))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

JOBS_LOG_LEVEL = env("JOBS_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django_jobs": {"handlers": ["console"], "level": JOBS_LOG_LEVEL},
        # Django's own per-task lines ("Task id=... state=..."): the same knob as ours.
        "django.tasks": {"handlers": ["console"], "level": JOBS_LOG_LEVEL, "propagate": False},
    },
}
