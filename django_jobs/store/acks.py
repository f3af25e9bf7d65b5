"""Group commit for successful outcomes: many threads' acknowledgements in one statement.

Each finished job needs one fenced UPDATE. Written one by one, a worker's
threads queue for the database's write lock (SQLite) or each pay a commit
(PostgreSQL). Here the first thread to arrive becomes the writer and writes
everything that is waiting in one batch; threads arriving meanwhile hand their
success over and go back to work at once, and the writer takes their batch next.
Alone, a thread writes at once, so a quiet worker adds no latency; under load
batches grow with the rate at which jobs finish, not with the number of threads.

Under load (the group wrote a batch less than ``BUSY_WITHIN`` ago) the writer first
waits ``LINGER`` for the successes of that moment to join its batch. Each write takes
the database's write lock (on SQLite, the one lock every worker process queues for),
and a writer that holds it is often not running: its process's other threads have the
interpreter, or the machine has given its core away. Fewer, larger batches take the
lock half as often for the same jobs, so other processes wait for it less.

A success that is handed over but never written (the process dies first, or the
database stays away) leaves the job RUNNING: its lease expires and it runs again,
as for a worker that died during the job.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django_jobs.models import Job

logger = logging.getLogger("django_jobs")

WriteMany = Callable[[Sequence[tuple[Job, Any]]], set[Any]]
Then = Callable[[bool], None]

LINGER = 0.001  # seconds a writer under load waits for more successes to join its batch
BUSY_WITHIN = 0.005  # a group that wrote a batch less than this long ago is under load


@dataclass(slots=True)
class _Ack:
    job: Job
    value: Any
    then: Then


class AckGroup:
    def __init__(
        self,
        write_many: WriteMany,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``write_many`` writes a batch in one transaction and returns the ids it wrote."""
        self._write_many = write_many
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._pending: list[_Ack] = []
        self._writing = False
        self._last_written = float("-inf")  # never: the first success is written at once

    def succeed(self, job: Job, value: Any, then: Then) -> None:
        """Record ``job`` as successful with ``value``; ``then(written)`` once it is written.

        ``written`` is False when the run had lost its lease. ``then`` runs on the
        thread that wrote the batch, which is this one when no write was under way.
        """
        with self._lock:
            self._pending.append(_Ack(job, value, then))
            if self._writing:
                return
            self._writing = True
        self._write_while_pending()

    def _write_while_pending(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._writing = False
                    return
            if self._clock() - self._last_written < BUSY_WITHIN:
                self._sleep(LINGER)
            with self._lock:  # only the writer takes batches: this one is not empty
                batch, self._pending = self._pending, []
            try:
                written = self._write_many([(ack.job, ack.value) for ack in batch])
                self._last_written = self._clock()
            except Exception:
                logger.exception(
                    "Could not record %d successful job(s); they run again when their leases end",
                    len(batch),
                )
                continue
            for ack in batch:
                _call_safely(ack, written=ack.job.pk in written)


def _call_safely(ack: _Ack, *, written: bool) -> None:
    """One failing follow-up (a signal receiver that raises) must not skip the others."""
    try:
        ack.then(written)
    except Exception:
        logger.exception("Job %s: error after recording its success", ack.job.pk)
