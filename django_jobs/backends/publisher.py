"""Huey mode's publisher thread: sends committed jobs to Redis so enqueue need not wait.

A fresh job is stored with its publication reserved (``Job.dispatched_at`` set by the
INSERT itself), so once the INSERT has committed, ``enqueue()`` hands the job to this
thread and returns. The thread sends what has gathered in one Redis round trip per
queue; a sent job needs no further write. Jobs whose send failed (Redis down) lose
their reservation in one UPDATE, and the worker's sweep publishes them. A process
that dies between the commit and the send leaves its jobs reserved: the sweep sends
them as it sends lost messages, once their queue is empty and they are two leases
old (``HueyBackend.sweep``); a job sent twice runs once (the shim's claim).

A sent job is not marked published: that UPDATE of the whole row would, on
PostgreSQL, rewrite all of the table's index entries, about what the INSERT costs.

Between two sends the thread waits ``SEND_INTERVAL``: a job that finds it idle goes
at once, while under load the jobs of those milliseconds go in one round trip
instead of one each (enqueueing one by one, the round trip of each job's own send
cost the enqueueing thread, sharing the GIL, more than its INSERT did).

One thread per process, started on first use and again in a forked child (which
drops its copy of the parent's pending jobs: the parent publishes those). It holds a
database connection only after a failed send, exits after ``IDLE_SECONDS`` without
work, and at interpreter exit is given ``EXIT_SECONDS`` to publish what is pending.
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections

logger = logging.getLogger("django_jobs")

IDLE_SECONDS = 30.0  # a thread with nothing to do for this long exits
EXIT_SECONDS = 5.0  # how long interpreter exit waits for pending jobs
SEND_INTERVAL = 0.005  # seconds from one send to the next; what arrives meanwhile goes together

# Sends committed jobs of one backend (first argument) to Redis, as the backend submitted
# them (``huey.Outgoing``: alike jobs by id); returns the ids of the jobs it could not send.
SendJobs = Callable[[Any, list[Any]], list[Any]]
# Gives the jobs of these ids, stored in database ``using`` (first argument), back to the
# sweep: their publication was reserved, and their send failed.
Unreserve = Callable[[str, list[Any]], None]


class Publisher:
    """A queue of committed jobs and the thread that sends them, in order, in batches."""

    def __init__(self, send: SendJobs, unreserve: Unreserve) -> None:
        self._send, self._unreserve = send, unreserve
        self._changed = threading.Condition()
        self._pending: list[tuple[tuple[Any, str], Sequence[Any]]] = []
        self._busy = False
        self._thread: threading.Thread | None = None

    @classmethod
    def for_process(cls, send: SendJobs, unreserve: Unreserve) -> "Publisher":
        """A Publisher that a forked child starts afresh and interpreter exit flushes."""
        made = cls(send, unreserve)
        os.register_at_fork(after_in_child=made.forget)
        atexit.register(made.flush, EXIT_SECONDS)
        return made

    def submit(self, backend: Any, using: str, jobs: Sequence[Any]) -> None:
        """Queue committed ``jobs`` of ``backend``, stored in database ``using``."""
        with self._changed:
            self._pending.append(((backend, using), jobs))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="django-jobs-publisher", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until all submitted so far is sent (or given back); False on timeout."""
        with self._changed:
            return self._changed.wait_for(self._settled, timeout)

    def forget(self) -> None:
        """In a forked child: the parent's pending jobs and thread are the parent's."""
        self._changed = threading.Condition()
        self._pending, self._busy, self._thread = [], False, None

    def _settled(self) -> bool:
        return not self._pending and not self._busy

    def _run(self) -> None:
        sent_at = 0.0
        while (work := self._next_work(not_before=sent_at + SEND_INTERVAL)) is not None:
            try:
                sent_at = time.monotonic()
                self._send_batch(work)
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _next_work(self, not_before: float) -> list[tuple[tuple[Any, str], Sequence[Any]]] | None:
        """Pending jobs, or None (the thread is gone) after ``IDLE_SECONDS`` without any.

        Sleeps until ``not_before`` (``SEND_INTERVAL`` after the last send) first.
        """
        if (gap := not_before - time.monotonic()) > 0:
            time.sleep(gap)
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending, IDLE_SECONDS):
                self._thread = None
                return None
            work, self._pending = self._pending, []
            self._busy = True
            return work

    def _send_batch(self, work: list[tuple[tuple[Any, str], Sequence[Any]]]) -> None:
        by_destination: dict[tuple[Any, str], list[Any]] = {}
        for destination, jobs in work:
            by_destination.setdefault(destination, []).extend(jobs)
        for (backend, using), jobs in by_destination.items():
            try:
                unsent = self._send(backend, jobs)
            except Exception:  # noqa: BLE001 - still reserved: the sweep sends them as lost
                logger.exception("A send of %d item(s) failed; the worker's sweep will", len(jobs))
                continue
            if unsent:
                self._give_back(using, unsent)

    def _give_back(self, using: str, job_ids: list[Any]) -> None:
        """Unreserve jobs whose send failed, then close this thread's connections.

        Only failed sends need the database: a connection held open by every process
        that ever enqueued would cost more than reconnecting after a failure (and a
        test database could not be dropped while this thread holds it).
        """
        try:
            self._unreserve(using, job_ids)
        except Exception:  # noqa: BLE001 - reserved jobs are sent again by the sweep
            logger.exception("%d unpublished job(s) not given back to the sweep", len(job_ids))
        finally:
            connections.close_all()
