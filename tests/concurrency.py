"""Threads with database connections of their own: several running one function at once,
or one writing as a busy worker does while a test's block runs; and SQLite's own
deferred transactions, which a project may choose, for the test's thread."""

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone


def run_concurrently(func: Callable[[], Any], threads: int) -> list[Any]:
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def target() -> None:
        try:
            start.wait()
            value = func()
            with lock:
                results.append(value)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=target) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


@contextlib.contextmanager
def a_worker_keeps_writing() -> Iterator[None]:
    """A worker's heartbeat written again and again from a thread while the block runs.

    On SQLite, a transaction that read before this thread's latest commit can no longer
    write: what such a test catches is a "database is locked" that waiting cannot cure.
    """
    from django_jobs.models import Worker

    Worker.objects.create(id="w", hostname="h", pid=1, backend_name="default", concurrency=1)
    stop = threading.Event()

    def heartbeats() -> None:
        try:
            while not stop.is_set():
                Worker.objects.filter(pk="w").update(heartbeat_at=timezone.now())
        finally:
            connection.close()

    writer = threading.Thread(target=heartbeats)
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()


@contextlib.contextmanager
def sqlite_deferred_transactions() -> Iterator[None]:
    """This thread's transactions begin as SQLite's default ``BEGIN`` does, not IMMEDIATE.

    What code that must also work for a project with ``"transaction_mode": "DEFERRED"``
    is tested under; nothing changes on other databases.
    """
    connection.ensure_connection()
    if connection.vendor != "sqlite":
        yield
        return
    chosen = connection.transaction_mode
    connection.transaction_mode = None
    try:
        yield
    finally:
        connection.transaction_mode = chosen
