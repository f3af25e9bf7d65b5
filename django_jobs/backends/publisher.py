"""Huey mode's publisher thread: sends committed jobs to Redis so enqueue need not wait.

The ``Job`` row is the outbox: once its INSERT has committed, the job will run even if
this process dies before the message is sent (the worker's sweep publishes rows left
unpublished). So ``enqueue()`` hands the committed job to this thread and returns.
The thread sends what has gathered in one Redis round trip per queue at once, and
marks the sent jobs published later, in one UPDATE per ``MARK_AFTER`` seconds or
``MARK_BATCH`` jobs: each mark is a commit of its own, which marking job by job would
pay per job (on PostgreSQL nearly what the INSERT costs). A process that dies between
the send and the mark leaves its jobs to the sweep, which sends them again; the
shim's claim runs each job once.

Between two sends the thread waits ``SEND_INTERVAL``: a job that finds it idle goes
at once, while under load the jobs of those milliseconds go in one round trip
instead of one each (enqueueing one by one, the round trip of each job's own send
cost the enqueueing thread, sharing the GIL, more than its INSERT did).

One thread per process, started on first use and again in a forked child (which
drops its copy of the parent's pending jobs: the parent publishes those). It holds a
database connection only while marking, exits after ``IDLE_SECONDS`` without work,
and at interpreter exit is given ``EXIT_SECONDS`` to publish and mark what is pending.
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

MARK_AFTER = 0.5  # seconds sent jobs wait to be marked published; well under PUBLISH_AFTER
MARK_BATCH = 500  # ... or until this many are waiting
IDLE_SECONDS = 30.0  # a thread with nothing to do for this long exits
EXIT_SECONDS = 5.0  # how long interpreter exit waits for pending jobs
SEND_INTERVAL = 0.005  # seconds from one send to the next; what arrives meanwhile goes together

# Sends committed jobs of one backend (first argument) to Redis; returns the ids it sent.
# The jobs are whatever the backend submitted: ``Job`` objects, or lighter stand-ins.
SendJobs = Callable[[Any, list[Any]], list[Any]]
# Marks the jobs of these ids, stored in database ``using`` (first argument), published.
MarkSent = Callable[[str, list[Any]], None]


class Publisher:
    """A queue of committed jobs and the thread that sends them, in order, in batches."""

    def __init__(self, send: SendJobs, mark: MarkSent) -> None:
        self._send, self._mark = send, mark
        self._changed = threading.Condition()
        self._pending: list[tuple[tuple[Any, str], Any]] = []
        # Sent, not yet marked: written only by the thread, read by others under the lock.
        self._unmarked: dict[str, list[Any]] = {}
        self._busy = False
        self._flushes = 0
        self._thread: threading.Thread | None = None

    @classmethod
    def for_process(cls, send: SendJobs, mark: MarkSent) -> "Publisher":
        """A Publisher that a forked child starts afresh and interpreter exit flushes."""
        made = cls(send, mark)
        os.register_at_fork(after_in_child=made.forget)
        atexit.register(made.flush, EXIT_SECONDS)
        return made

    def submit(self, backend: Any, using: str, jobs: Sequence[Any]) -> None:
        """Queue committed ``jobs`` of ``backend``, stored in database ``using``."""
        with self._changed:
            self._pending.extend(((backend, using), job) for job in jobs)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="django-jobs-publisher", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until all submitted so far is sent and marked (or failed); False on timeout."""
        with self._changed:
            self._flushes += 1
            self._changed.notify_all()
            try:
                return self._changed.wait_for(self._settled, timeout)
            finally:
                self._flushes -= 1

    def forget(self) -> None:
        """In a forked child: the parent's pending jobs and thread are the parent's."""
        self._changed = threading.Condition()
        self._pending, self._unmarked, self._busy = [], {}, False
        self._flushes, self._thread = 0, None

    def _settled(self) -> bool:
        return not self._pending and not self._busy and not self._unmarked

    def _run(self) -> None:
        first_unmarked = sent_at = 0.0
        while (work := self._next_work(not_before=sent_at + SEND_INTERVAL)) is not None:
            try:
                if not self._unmarked:
                    first_unmarked = time.monotonic()
                if work:
                    sent_at = time.monotonic()
                    self._send_batch(work)
                waiting = sum(map(len, self._unmarked.values()))
                if waiting and (
                    not work
                    or self._flushes
                    or waiting >= MARK_BATCH
                    or time.monotonic() - first_unmarked >= MARK_AFTER
                ):
                    self._mark_unmarked()
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _next_work(self, not_before: float) -> list[tuple[tuple[Any, str], Any]] | None:
        """Pending jobs; [] when sent jobs are due to be marked; None (thread gone) when idle.

        Sleeps until ``not_before`` (``SEND_INTERVAL`` after the last send) first.
        """
        if (gap := not_before - time.monotonic()) > 0:
            time.sleep(gap)
        with self._changed:
            self._changed.wait_for(
                lambda: self._pending or (self._flushes and self._unmarked),
                MARK_AFTER if self._unmarked else IDLE_SECONDS,
            )
            if not self._pending and not self._unmarked:
                self._thread = None
                return None
            work, self._pending = self._pending, []
            self._busy = True
            return work

    def _send_batch(self, work: list[tuple[tuple[Any, str], Any]]) -> None:
        by_destination: dict[tuple[Any, str], list[Any]] = {}
        for destination, job in work:
            by_destination.setdefault(destination, []).append(job)
        for (backend, using), jobs in by_destination.items():
            try:
                sent = self._send(backend, jobs)
            except Exception:  # noqa: BLE001 - the rows stay unpublished: the sweep sends them
                logger.exception("%d job(s) not published; the worker's sweep will", len(jobs))
                continue
            if sent:
                self._unmarked.setdefault(using, []).extend(sent)

    def _mark_unmarked(self) -> None:
        """Mark what was sent, then close this thread's connections until the next marks.

        At most two marks a second: reconnecting costs less than a connection held
        open by every process that ever enqueued (and a test database that cannot be
        dropped while this thread holds it).
        """
        unmarked, self._unmarked = self._unmarked, {}
        try:
            for using, job_ids in unmarked.items():
                try:
                    self._mark(using, job_ids)
                except Exception:  # noqa: BLE001 - unmarked jobs are sent again by the sweep
                    logger.exception("%d published job(s) not marked published", len(job_ids))
        finally:
            connections.close_all()
