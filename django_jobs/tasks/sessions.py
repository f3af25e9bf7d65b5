"""``cleanup_sessions``: remove expired sessions, like ``manage.py clearsessions``."""

from importlib import import_module

from django.conf import settings
from django.utils import timezone

from django_jobs.jobtask import task


@task(queue_name="default")
def cleanup_sessions() -> int | None:
    """Clear expired sessions of the configured engine; return how many were removed.

    Database-backed engines (db, cached_db) report the count; engines whose
    storage expires entries by itself (cache, signed cookies) return None.
    """
    engine = import_module(settings.SESSION_ENGINE)
    counted = settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    )
    before = _expired_count() if counted else None
    engine.SessionStore.clear_expired()
    return before


def _expired_count() -> int:
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=timezone.now()).count()
