"""pytest plugin (loaded with ``-p``): starts real servers before Django is configured.

With ``JOBS_TEST_DB=postgres`` a PostgreSQL 15 server is started on a free
loopback port before pytest-django reads the settings, and DATABASE_URL points
at it. The server is stopped when the test session ends. Under pytest-xdist (``-n``)
each worker process starts a server of its own and the controller none.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest

_postgres: Any = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    global _postgres
    if os.environ.get("JOBS_TEST_DB") == "postgres" and not _is_xdist_controller(early_config):
        from tests.servers.postgres import PostgresServer

        _postgres = PostgresServer()
        _postgres.start()
        os.environ["DATABASE_URL"] = _postgres.url_for("jobs")


def _is_xdist_controller(early_config: Any) -> bool:
    """Whether this is pytest-xdist's controller (``-n``): its workers run the tests, each
    with a server of its own, so tests that stop or restart theirs disturb no other."""
    distributed = getattr(early_config.known_args_namespace, "numprocesses", None)
    return bool(distributed) and "PYTEST_XDIST_WORKER" not in os.environ


def pytest_unconfigure(config: Any) -> None:
    if _postgres is not None:
        _postgres.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """The PostgreSQL server of this run (only with JOBS_TEST_DB=postgres)."""
    if _postgres is None:
        pytest.fail("this test needs JOBS_TEST_DB=postgres (the test command runs it that way)")
    yield _postgres
