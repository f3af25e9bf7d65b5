import pytest
from django.db import connection
from django.test import override_settings

from django_jobs.compat import task_backends

MODES = {
    "immediate": "django_jobs.backends.ImmediateBackend",
    "database": "django_jobs.backends.DatabaseBackend",
}


@pytest.fixture(params=sorted(MODES))
def mode(request, settings):
    """Run the test once per mode, with that mode's backend as ``default``."""
    tasks = {
        **settings.TASKS,
        "default": {**settings.TASKS["default"], "BACKEND": MODES[request.param]},
    }
    with override_settings(TASKS=tasks):
        yield request.param


@pytest.fixture
def backend():
    return task_backends["default"]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Tests about a database server (restarts, LISTEN/NOTIFY) only exist in the PostgreSQL run."""
    if connection.vendor == "postgresql":
        return
    selected = [item for item in items if "postgres_only" not in item.keywords]
    deselected = [item for item in items if "postgres_only" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
