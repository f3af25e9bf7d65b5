"""Django settings for the Django-based peers (Django's ImmediateBackend, django-tasks-db,
django-q2), run in the peers' virtualenv.

``BENCH_DATABASE_URL`` is ``sqlite:///<absolute path>`` or a PostgreSQL URL; SQLite gets
the same WAL and ``synchronous=NORMAL`` pragmas django-jobs sets on its own connections.
``BENCH_TASKS_BACKEND`` picks the ``TASKS`` backend and ``BENCH_Q_BROKER`` (``orm`` or
``redis``) django-q2's broker.
"""

import os
from urllib.parse import urlsplit


def database(url: str) -> dict:
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    if url.startswith("sqlite:///"):
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": url.removeprefix("sqlite://"),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
            },
        }
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username,
        "HOST": parts.hostname,
        "PORT": parts.port,
        "CONN_MAX_AGE": None,
    }


SECRET_KEY = "benchmark-only"  # noqa: S105 - signs nothing that leaves this run
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "django_tasks_db", "django_q"]
DATABASES = {"default": database(os.environ.get("BENCH_DATABASE_URL", ""))}
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "BENCH_TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"
        )
    }
}
_broker = (
    {"orm": "default"}
    if os.environ.get("BENCH_Q_BROKER") == "orm"
    else {"redis": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")}
)
Q_CLUSTER = {"name": "bench", "workers": 2, "timeout": 60, "retry": 90, **_broker}
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
