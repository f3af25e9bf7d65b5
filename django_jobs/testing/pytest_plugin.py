"""pytest fixtures for projects that use django-jobs, loaded through the ``pytest11`` entry point.

pytest imports this module before pytest-django has configured Django, so it
imports nothing from Django or django-jobs at import time: each fixture imports
what it needs when it runs.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django_jobs.testing.capture import CapturedJobs


@pytest.fixture
def jobs_captured() -> Iterator["CapturedJobs"]:
    """The jobs enqueued while the test runs (``capture_jobs()`` around it)."""
    from django_jobs.testing.capture import capture_jobs

    with capture_jobs() as captured:
        yield captured


@pytest.fixture
def jobs_drain() -> Callable[..., int]:
    """``run_until_empty``: run queued jobs in the test's thread and transaction."""
    from django_jobs.testing.drain import run_until_empty

    return run_until_empty


@pytest.fixture
def jobs_on_commit() -> Callable[..., AbstractContextManager[list[Callable[[], Any]]]]:
    """``run_on_commit``: ``with jobs_on_commit(): ...`` runs that block's on-commit callbacks.

    pytest-django's ``db`` never commits; its ``django_capture_on_commit_callbacks``
    does the same with ``execute=False`` by default.
    """
    from django_jobs.testing.commit import run_on_commit

    return run_on_commit


@pytest.fixture
def jobs_immediate() -> Iterator[None]:
    """The ``default`` task backend in immediate mode for this test: jobs run at enqueue."""
    from django_jobs.testing.modes import jobs_mode

    with jobs_mode("immediate"):
        yield


@pytest.fixture
def jobs_database() -> Iterator[None]:
    """The ``default`` task backend in database mode for this test: run jobs with ``jobs_drain``."""
    from django_jobs.testing.modes import jobs_mode

    with jobs_mode("database"):
        yield
