from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from django_jobs.tasks.sessions import cleanup_sessions
from django_jobs.testing import run_until_empty

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "engine", ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"]
)
def test_expired_sessions_are_removed_and_counted(engine):
    from importlib import import_module

    with override_settings(SESSION_ENGINE=engine):
        store = import_module(engine).SessionStore
        for expired in (True, True, False):
            session = store()
            session["user"] = 1
            session.set_expiry(-60 if expired else 3600)
            session.save()
        result = cleanup_sessions.enqueue()
        run_until_empty()
        result.refresh()
    assert result.return_value == 2
    assert Session.objects.count() == 1
    assert Session.objects.get().expire_date > timezone.now() + timedelta(minutes=30)
