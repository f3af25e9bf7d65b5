"""pytest plugin (loaded with ``-p``): starts real servers before Django is configured.

With ``JOBS_TEST_DB=postgres`` a PostgreSQL 15 server is started on a free
loopback port before pytest-django reads the settings, and DATABASE_URL points
at it. The server is stopped when the test session ends.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest

_postgres: Any = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    global _postgres
    if os.environ.get("JOBS_TEST_DB") == "postgres":
        from tests.servers.postgres import PostgresServer

        _postgres = PostgresServer()
        _postgres.start()
        os.environ["DATABASE_URL"] = _postgres.url_for("jobs")


def pytest_unconfigure(config: Any) -> None:
    if _postgres is not None:
        _postgres.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """The PostgreSQL server of this run (only with JOBS_TEST_DB=postgres)."""
    if _postgres is None:
        pytest.fail("this test needs JOBS_TEST_DB=postgres (the test command runs it that way)")
    yield _postgres
