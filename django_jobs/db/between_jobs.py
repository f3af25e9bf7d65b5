"""What a worker thread does with its database connections between two jobs.

Django's request cycle calls ``close_old_connections()`` around each request; a
worker calls it after each job, so a connection that a task left broken, in a
transaction or past ``CONN_MAX_AGE`` is closed before the next job. It also
re-arms ``CONN_HEALTH_CHECKS``, which costs a ``SELECT 1`` round trip on the next
query: once per job, at a thousand jobs a second. Here a thread re-arms the
health check at most once per ``HEALTH_CHECK_INTERVAL``; a connection on which a
query failed is still checked at once (Django's ``errors_occurred``).
"""

import threading
import time
from typing import Any

from django.db import connections

HEALTH_CHECK_INTERVAL = 1.0  # seconds

_checked = threading.local()


def close_old_connections_between_jobs() -> None:
    """``close_old_connections()``, with health checks at most once a second per thread."""
    now = time.monotonic()
    recheck = now - getattr(_checked, "at", float("-inf")) >= HEALTH_CHECK_INTERVAL
    if recheck:
        _checked.at = now
    connection: Any  # health_check_done is missing from the type stubs
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
        if not recheck and connection.connection is not None:
            connection.health_check_done = True
