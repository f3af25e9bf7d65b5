import pytest
import redis
from django.db import connection
from django.test import override_settings

from django_jobs.backends.huey import process_publisher
from django_jobs.compat import task_backends
from tests.servers.redis import RedisServer

MODES = {
    "immediate": "django_jobs.backends.ImmediateBackend",
    "database": "django_jobs.backends.DatabaseBackend",
    "huey": "django_jobs.backends.HueyBackend",
}


def pytest_configure(config):
    """Load our pytest plugin, unless the installed package's entry point already has.

    Registering a module twice (under the entry point's name and its own) is an error.
    """
    from django_jobs.testing import pytest_plugin

    manager = config.pluginmanager
    if not manager.is_registered(pytest_plugin) and not manager.has_plugin("django_jobs"):
        manager.register(pytest_plugin, "django_jobs")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item):
    """Kill worker processes a test left running, before its fixtures (the database) go."""
    from tests.worker.helpers import WorkerProcess

    WorkerProcess.reap_all()


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on a free loopback port, for the whole test session."""
    server = RedisServer().start()
    yield server
    server.cleanup()


def backend_settings(settings, mode_name, **extra):
    backend = {**settings.TASKS["default"], "BACKEND": MODES[mode_name], **extra}
    return override_settings(TASKS={**settings.TASKS, "default": backend})


@pytest.fixture
def huey_settings(settings, redis_server):
    """``default`` becomes a HueyBackend on an empty Redis."""
    redis.Redis.from_url(redis_server.url).flushall()
    with backend_settings(settings, "huey", OPTIONS={"REDIS_URL": redis_server.url}):
        yield redis_server
        # Nothing of this test's left to the publisher thread to send into the next one's.
        assert process_publisher.flush(timeout=30)


@pytest.fixture(params=sorted(MODES))
def mode(request, settings):
    """Run the test once per mode, with that mode's backend as ``default``."""
    if request.param == "huey":
        request.getfixturevalue("huey_settings")
        yield "huey"
        return
    with backend_settings(settings, request.param):
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
