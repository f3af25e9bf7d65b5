"""The huey-mode worker: database mode's claim loop, fed by huey's Redis queues.

The worker takes as many messages as its pool has room for (``huey_queues.py``),
claims their jobs in one statement and runs them on database mode's thread pool, so
claiming ahead, leases, group-committed successes, hand-back and shutdown are that
mode's (``runner.py``). huey's own consumer gave each thread one message at a time:
every job paid a Redis round trip and a claim statement of its own.

What Redis adds: idle, the worker blocks on ``BZPOPMIN`` over its unpaused queues, so
an enqueue wakes it at once, and a paused queue's messages stay in Redis until it is
resumed. Messages taken but not claimed because the database failed go back as they
were. The messages of a worker killed between taking and claiming are put back by
the other workers once its heartbeat is a lease old (``huey_queues.py``). Jobs the
worker hands back are published again at once.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from redis.exceptions import RedisError

from django_jobs.backends.huey import HueyBackend
from django_jobs.execution import Outcome
from django_jobs.models import Job
from django_jobs.models import Worker as WorkerRow
from django_jobs.worker.huey_queues import (
    WAIT_SLICE,
    Message,
    QueueReader,
    ScheduledMessageMover,
)
from django_jobs.worker.maintenance import Maintenance
from django_jobs.worker.options import WorkerOptions
from django_jobs.worker.pool import JobPool
from django_jobs.worker.runner import Worker
from django_jobs.worker.stopping import StopSignals

logger = logging.getLogger("django_jobs")


class HueyMaintenance(Maintenance):
    def __init__(self, *, backend: Any, reader: QueueReader, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backend, self.reader = backend, reader

    def tick(self) -> None:
        super().tick()
        try:
            recovered = self.reader.recover_abandoned(self._live_workers)
            if recovered:
                logger.warning("Put back %d message(s) taken by lost workers", recovered)
            self.backend.sweep(self.store)
        except Exception as exc:  # noqa: BLE001 - Redis or DB away: try again next tick
            logger.warning("Outbox sweep or putting back lost takes failed (%s); will retry", exc)

    def _live_workers(self, worker_ids: list[str]) -> set[str]:
        live = WorkerRow.objects.using(self.store.using).live(self.lease_seconds)
        return set(live.filter(pk__in=worker_ids).values_list("pk", flat=True))


class HueyWorker(Worker):
    """``run_jobs`` for a HueyBackend."""

    maintenance_class = HueyMaintenance
    claim_errors = (DatabaseError, RedisError)
    backend: HueyBackend

    def __init__(self, options: WorkerOptions, signals: StopSignals | None = None) -> None:
        super().__init__(options, signals)
        self.reader = QueueReader(self.backend, self.queues or ("default",), worker_id=self.id)
        self.add_side_loop(lambda stop: ScheduledMessageMover(self.reader, stop))

    def _waiter(self) -> Any:
        return _ReaderWaiter(self.reader, self._paused_queues)

    def _maintenance(
        self, running_jobs: Callable[[], list[Job]], done_count: Callable[[], int], **extra: Any
    ) -> Maintenance:
        return super()._maintenance(
            running_jobs, done_count, backend=self.backend, reader=self.reader, **extra
        )

    def _claim_due(self, limit: int) -> list[Job]:
        """Take messages and claim their jobs; messages of jobs not claimable are dropped
        (duplicates, cancelled jobs), so take again until a job is claimed or none is left.

        What waiting took is claimed first, its record sent to Redis alongside.
        """
        if self.reader.held:
            with self.reader.taking_held(limit) as messages:
                jobs = self._claim_messages(messages)
            if jobs:
                return jobs
        while messages := self.reader.take(limit, self._paused_queues()):
            if jobs := self._claim_messages(messages):
                return jobs
        return []

    def _claim_messages(self, messages: list[Message]) -> list[Job]:
        """Claim the jobs of taken messages; if the database fails, the messages go back."""
        due, job_ids = self.reader.read(messages)
        try:
            return self.store.claim_by_id(
                job_ids,
                worker_id=self.id,
                lease_seconds=self.settings.LEASE_SECONDS,
                due_only=True,
            )
        except DatabaseError:
            self.reader.put_back(due)
            raise

    def _claimable_now(self) -> bool:
        return bool(self.reader.held) or super()._claimable_now()

    def _run_one(self, job: Job) -> Outcome:
        outcome = super()._run_one(job)
        if outcome is Outcome.RETRYING:
            self.backend.publish(job, self.store)
        return outcome

    def _handed_back(self, jobs: list[Job]) -> None:
        """Published again at once, for another worker to take."""
        self.backend.publish_many(jobs, self.store)

    def _shutdown(self, pool: JobPool, maintenance: Maintenance) -> int:
        try:
            self.reader.put_back(self.reader.held)
            self.reader.held = []
            self.reader.forget_taken()
        except (RedisError, OSError) as exc:
            logger.warning("A taken message could not go back (%s); the sweep publishes it", exc)
        return super()._shutdown(pool, maintenance)


class _ReaderWaiter:
    """database mode's ``Waiter`` for the claim loop: blocks on Redis instead."""

    def __init__(self, reader: QueueReader, paused: Callable[[], list[str]]) -> None:
        self.reader, self.paused = reader, paused

    def wait(self, timeout: float, stop: threading.Event) -> None:
        try:
            paused = self.paused()
        except DatabaseError:  # the next claim meets the error too, and backs off
            stop.wait(min(timeout, WAIT_SLICE))
            return
        self.reader.wait(timeout, stop, paused)

    def close(self) -> None:
        pass
