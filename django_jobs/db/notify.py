"""Waking idle workers: LISTEN/NOTIFY on PostgreSQL, a timed sleep elsewhere.

``notify()`` runs inside the enqueuing transaction: PostgreSQL delivers the
notification only on commit and drops it on rollback, which is exactly when a
worker may see the job.
"""

import logging
import threading
from typing import Any, Protocol

from django.db import connections

from django_jobs.store.inserts import WAKE_CHANNEL as CHANNEL

logger = logging.getLogger("django_jobs")

WAIT_SLICE = 0.5  # the longest an idle worker takes to notice a stop request


class Waiter(Protocol):
    def wait(self, timeout: float, stop: threading.Event) -> None: ...
    def close(self) -> None: ...


def notify(using: str, backend_name: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, backend_name])


class SleepWaiter:
    def wait(self, timeout: float, stop: threading.Event) -> None:
        stop.wait(timeout)

    def close(self) -> None:
        pass


class ListenWaiter:
    """A dedicated connection LISTENing for enqueue notifications; reconnects on error."""

    def __init__(self, using: str) -> None:
        self._using = using
        self._listener: Any = None

    def _connect(self) -> Any:
        wrapper: Any = connections[self._using]  # PostgreSQL's wrapper: .Database is psycopg
        listener = wrapper.Database.connect(**wrapper.get_connection_params())
        listener.autocommit = True
        listener.execute(f"LISTEN {CHANNEL}")
        return listener

    def wait(self, timeout: float, stop: threading.Event) -> None:
        remaining = timeout
        while remaining > 0 and not stop.is_set():
            step = min(WAIT_SLICE, remaining)
            try:
                if self._listener is None:
                    self._listener = self._connect()
                    # Notifications sent while we were not listening are lost: look now.
                    return
                if any(True for _ in self._listener.notifies(timeout=step, stop_after=1)):
                    return
            except Exception as exc:  # noqa: BLE001 - any connection fault: wait and reconnect
                logger.warning("LISTEN connection failed (%s); reconnecting", exc)
                self.close()
                stop.wait(step)
            remaining -= step

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            finally:
                self._listener = None


def waiter_for(using: str) -> Waiter:
    """The cheapest way for an idle worker on this database to hear about new jobs."""
    connection: Any = connections[using]  # the vendor's own wrapper
    if connection.vendor == "postgresql":
        return ListenWaiter(using)
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        from django_jobs.db.sqlite import DataVersionWaiter

        return DataVersionWaiter(connection)
    return SleepWaiter()
