"""Retry an idempotent write across a lost database connection.

A job's outcome is worth keeping: when the database restarts between a task's
end and its acknowledgement, the write is retried on a new connection for up to
a lease. Only fenced, idempotent writes go through here, and never inside a
caller's transaction (a retry there would silently drop the rest of it). A
worker's registration waits the same way for a database not up yet.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections

from django_jobs.conf import get_settings

logger = logging.getLogger("django_jobs")

# A TypeVar, not PEP 695 syntax: Python 3.11 (Django 5.2) has no ``def f[T]``.
T = TypeVar("T")


def retry_on_disconnect(
    using: str, write: Callable[[], T], *, stop: threading.Event | None = None
) -> T:
    """``write()``, tried again for up to a lease while the connection fails; the last
    error raised, and at once when ``stop`` is set (a worker asked to stop waiting)."""
    connection = connections[using]
    deadline = time.monotonic() + get_settings().LEASE_SECONDS
    delay = 0.1
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning("Database unavailable (%s); retrying in %.1fs", exc, delay)
            connection.close()
            if stop is None:
                time.sleep(delay)
            elif stop.wait(delay):
                raise
            delay = min(delay * 2, 5.0)
