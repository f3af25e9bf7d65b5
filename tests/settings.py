"""Test settings: the demo project plus test tasks, short leases and a file-backed SQLite.

The SQLite test database is a file (not in-memory) so that worker subprocesses
started by the tests see the same data. ``JOBS_TEST_DB=postgres`` makes the
pytest plugin start a real PostgreSQL server and point DATABASE_URL at it.
"""

import atexit
import os
import shutil
import tempfile

if "DATABASE_URL" not in os.environ:
    if "JOBS_TEST_DIR" not in os.environ:  # made once, shared by xdist's processes
        os.environ["JOBS_TEST_DIR"] = tempfile.mkdtemp(prefix="django-jobs-tests-")
        atexit.register(shutil.rmtree, os.environ["JOBS_TEST_DIR"], ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['JOBS_TEST_DIR']}/jobs.sqlite3"

from testproject.settings import *  # noqa: E402,F403
from testproject.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {
        "NAME": DATABASES["default"]["NAME"].replace(".sqlite3", "-test.sqlite3")
    }

TEST_QUEUES = ["default", "emails", "webhooks", "maintenance", "low", "high"]
TASKS = {
    "default": {"BACKEND": "django_jobs.backends.DatabaseBackend", "QUEUES": TEST_QUEUES},
    "immediate": {"BACKEND": "django_jobs.backends.ImmediateBackend", "QUEUES": TEST_QUEUES},
}

if os.environ.get("JOBS_TEST_BACKEND") == "huey":  # worker subprocesses of huey-mode tests
    TASKS["default"] = {
        "BACKEND": "django_jobs.backends.HueyBackend",
        "QUEUES": TEST_QUEUES,
        "OPTIONS": {"REDIS_URL": os.environ["REDIS_URL"]},
    }

JOBS = {
    "LEASE_SECONDS": float(os.environ.get("JOBS_TEST_LEASE_SECONDS", "2")),
    "BACKOFF": 0.05,
    "BACKOFF_MAX": 1.0,
    "POLL_INTERVAL": float(os.environ.get("JOBS_TEST_POLL_INTERVAL", "0.2")),
    "GRACE_SECONDS": 10.0,
    "CREDIT_ACCOUNT_MODEL": "shop.Organization",
}
_NO_BUILT_INS = {
    "django_jobs.prune_jobs": None,
    "django_jobs.cleanup_sessions": None,
    "django_jobs.reset_credits": None,
}
_BERLIN = {"task": "tests.tasks.noop", "timezone": "Europe/Berlin", "overlap": "allow"}
if os.environ.get("JOBS_TEST_SCHEDULES") == "every-minute":  # scheduler process tests
    JOBS["SCHEDULES"] = {
        "every-minute": {"task": "tests.tasks.noop", "cron": "* * * * *", "overlap": "allow"},
        **_NO_BUILT_INS,
    }
if os.environ.get("JOBS_TEST_SCHEDULES") == "dst":  # scheduler processes across a DST change
    JOBS["SCHEDULES"] = {
        "every-10-minutes": {**_BERLIN, "cron": "*/10 * * * *"},
        "hourly": {**_BERLIN, "cron": "@hourly"},
        "daily-0230": {**_BERLIN, "cron": "30 2 * * *"},
        **_NO_BUILT_INS,
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Worker subprocesses log at JOBS_LOG_LEVEL (the process helpers ask for INFO) to stderr,
# which the tests read; the test process itself stays quiet.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django_jobs": {
            "handlers": ["console"],
            "level": os.environ.get("JOBS_LOG_LEVEL", "WARNING"),
        }
    },
}
