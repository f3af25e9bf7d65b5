"""SQLite write turns: a worker's writers queue on a file lock instead of sleeping.

SQLite lets one connection write at a time. A connection that finds the database
locked sleeps in SQLite's busy handler (1, 2, 5, 10 ms...) before it tries again,
while a claim or a batch of acknowledgements holds the lock for a fraction of a
millisecond: with two worker processes draining a backlog, the machine sat 45%
idle in those sleeps. A writer that first takes an exclusive ``flock`` on a file
next to the database is woken by the kernel the moment the previous one is done.

The turn is an optimisation, never a guarantee: SQLite's own locking still
protects every write, and writers that take no turn (web processes enqueueing)
simply wait in the busy handler as before. Only statements run in autocommit
take a turn: inside a transaction the connection may already hold SQLite's lock,
and waiting for the file lock then would stall the writer holding the turn.
"""

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock, writers wait in SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = "-jobs-writer.lock"

_files = threading.local()  # per thread: flock excludes open files, not threads


def _lock_file(path: str) -> int:
    opened = getattr(_files, "opened", None)
    if opened is None:
        opened = _files.opened = {}
    if path not in opened:
        opened[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return opened[path]


@contextlib.contextmanager
def write_turn(connection: Any) -> Iterator[None]:
    """Hold the database's writer turn around one autocommit write (SQLite files only)."""
    if (
        fcntl is None
        or connection.vendor != "sqlite"
        or connection.is_in_memory_db()
        or connection.in_atomic_block
    ):
        yield
        return
    descriptor = _lock_file(f"{connection.settings_dict['NAME']}{LOCK_SUFFIX}")
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
