"""SQLite as a queue: WAL, a busy timeout, and waking workers without polling SQL.

WAL lets readers run while a worker writes; ``synchronous=NORMAL`` is safe
under WAL (a power cut may lose the last commits, never corrupt the file); the
busy timeout makes writers queue instead of failing with "database is locked".

Transactions begin ``IMMEDIATE``: they take the write lock at ``BEGIN``, waiting
their turn in the busy timeout. With SQLite's deferred ``BEGIN``, a transaction that
reads first (the project's own ``atomic()`` block that looks something up, then
enqueues) fails at its first write with "database is locked" as soon as any worker
has committed since the read, and workers commit all the time. A project that sets
``OPTIONS["transaction_mode"]`` keeps its choice.
"""

import threading
import time
from typing import Any

from django.db.backends.signals import connection_created

BUSY_TIMEOUT_MS = 20_000
CHECK_EVERY = 0.02


def configure_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    options = connection.settings_dict.get("OPTIONS", {})
    if "transaction_mode" not in options and not connection.is_in_memory_db():
        connection.transaction_mode = "IMMEDIATE"
    with connection.cursor() as cursor:
        if not connection.is_in_memory_db():
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        if "timeout" not in options:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def connect_signals() -> None:
    connection_created.connect(configure_connection, dispatch_uid="django_jobs.sqlite")


class DataVersionWaiter:
    """Wait until another connection commits to the database, or a timeout.

    ``PRAGMA data_version`` changes whenever another connection commits; reading
    it touches no table, so checking it every 20 ms costs next to nothing and
    wakes an idle worker within milliseconds of an enqueue.
    """

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._version: int | None = None

    def _read(self) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute("PRAGMA data_version")
            return cursor.fetchone()[0]

    def wait(self, timeout: float, stop: threading.Event) -> None:
        deadline = time.monotonic() + timeout
        if self._version is None:
            self._version = self._read()
        while not stop.is_set() and time.monotonic() < deadline:
            if stop.wait(CHECK_EVERY):
                return
            version = self._read()
            if version != self._version:
                self._version = version
                return

    def close(self) -> None:
        self._version = None
