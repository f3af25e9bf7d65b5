"""Run ``transaction.on_commit`` callbacks in tests whose transaction never commits."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.test import TestCase


def run_on_commit(
    using: str = DEFAULT_DB_ALIAS,
) -> AbstractContextManager[list[Callable[[], Any]]]:
    """Run the on-commit callbacks registered inside the block when it exits.

    ``TestCase`` and pytest-django's ``db`` wrap each test in a transaction that
    is rolled back, so ``transaction.on_commit`` callbacks never run. Enqueues
    made that way (``on_commit(partial(task.enqueue, ...))``) and huey mode's
    publish to Redis need them. This is Django's
    ``TestCase.captureOnCommitCallbacks(execute=True)``, usable outside a
    ``TestCase`` too; it yields the list of callbacks it ran.

    The database mode needs none: its row is written in the caller's
    transaction, and ``run_until_empty()`` sees it, as it publishes huey jobs
    whose on-commit publish never ran.
    """
    return TestCase.captureOnCommitCallbacks(using=using, execute=True)
