"""The huey-mode worker: database mode's claim loop, fed by huey's Redis queues.

The worker takes as many messages as its pool has room for (``ZPOPMIN`` on the
queues it serves: highest priority, then oldest, first), claims their jobs in one
statement and runs them on database mode's thread pool, so claiming ahead, leases,
group-committed successes, hand-back and shutdown are that mode's (``runner.py``).
huey's own consumer gave each thread one message at a time: every job paid a Redis
round trip and a claim statement of its own.

What Redis adds:

- A message not due yet (huey's ``eta``: a delay or a retry's backoff) goes to its
  queue's huey schedule; a side loop moves due ones back once a second, with huey's
  atomic script, so of many workers one moves each.
- Idle, the worker blocks on ``BZPOPMIN`` over its unpaused queues: an enqueue wakes
  it at once. A paused queue's messages stay in Redis until it is resumed.
- Messages taken but not claimed because the database failed go back as they were.
  A worker killed between taking and claiming loses those messages; their jobs stay
  READY and the sweep publishes them again once their queue is empty, as for
  messages Redis lost. Jobs the worker hands back are published again at once.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from redis.exceptions import RedisError

from django_jobs.backends.huey import HueyBackend
from django_jobs.execution import Outcome
from django_jobs.models import Job
from django_jobs.worker.maintenance import Maintenance
from django_jobs.worker.options import WorkerOptions
from django_jobs.worker.pool import JobPool
from django_jobs.worker.runner import Worker
from django_jobs.worker.stopping import StopSignals

logger = logging.getLogger("django_jobs")

WAIT_SLICE = 0.5  # the longest an idle worker blocks on Redis before checking for a stop
MOVE_EVERY = 1.0  # seconds between two moves of due scheduled messages to their queues
HUEY_PREFIX_BYTES = 8  # huey's ordering prefix before each queued message


@dataclass(frozen=True, slots=True)
class Message:
    """A queue entry as taken from Redis, so it can go back exactly as it was."""

    queue: str
    member: bytes  # huey's ordering prefix, then the signed message
    score: float  # minus the priority


class QueueReader:
    """Takes messages off the worker's huey queues, waits for them, puts them back."""

    def __init__(self, backend: HueyBackend, queues: Iterable[str]) -> None:
        self.backend = backend
        self.queues = list(queues)
        self._queue_of = {self._storage(name).queue_key: name for name in self.queues}
        self._first = 0
        self.held: list[Message] = []  # taken while waiting, claimed on the next take

    def _storage(self, queue: str) -> Any:
        return self.backend.huey(queue).storage

    def take(self, limit: int, paused: Iterable[str] = ()) -> list[Message]:
        """Up to ``limit`` messages, what waiting took first, then queue by queue.

        The queue taken from first turns each time, so one busy queue cannot keep
        the others waiting.
        """
        taken, self.held = self.held[:limit], self.held[limit:]
        skipped = set(paused)
        self._first = (self._first + 1) % len(self.queues)
        for name in self.queues[self._first :] + self.queues[: self._first]:
            if len(taken) >= limit:
                break
            if name in skipped:
                continue
            storage = self._storage(name)
            popped = storage.conn.zpopmin(storage.queue_key, limit - len(taken))
            taken += [Message(name, member, score) for member, score in popped]
        return taken

    def put_back(self, messages: list[Message]) -> None:
        """Return taken messages to their queues, with their places (prefix and score)."""
        for name in {message.queue for message in messages}:
            storage = self._storage(name)
            entries = {m.member: m.score for m in messages if m.queue == name}
            storage.conn.zadd(storage.queue_key, entries)

    def wait(self, timeout: float, stop: threading.Event, paused: Iterable[str] = ()) -> None:
        """Block until a message arrives (kept for the next ``take``), a stop, or timeout."""
        keys = [key for key, name in self._queue_of.items() if name not in set(paused)]
        if not keys or stop.is_set():
            stop.wait(timeout)
            return
        storage = self._storage(self._queue_of[keys[0]])
        try:
            popped = storage.conn.bzpopmin(keys, timeout=min(timeout, WAIT_SLICE))
        except (RedisError, OSError) as exc:
            logger.warning("Cannot wait on Redis (%s); retrying", exc)
            stop.wait(min(timeout, WAIT_SLICE))
            return
        if popped:
            key, member, score = popped
            self.held.append(Message(self._queue_of[key.decode()], member, score))

    def read(self, messages: list[Message]) -> tuple[list[Message], list[Any]]:
        """The messages whose jobs are due and their ids; the others go to the schedule.

        A message that cannot be read (not signed with this project's key, or naming
        no job) is dropped with a warning.
        """
        due, job_ids = [], []
        for message in messages:
            huey = self.backend.huey(message.queue)
            try:
                task = huey.deserialize_task(message.member[HUEY_PREFIX_BYTES:])
                job_id = Job._meta.pk.to_python(task.args[0])
            except Exception as exc:  # noqa: BLE001 - any unreadable message is dropped
                logger.warning(
                    "Queue %s: dropped a message that cannot be read: %s", huey.name, exc
                )
                continue
            if huey.ready_to_run(task):
                due.append(message)
                job_ids.append(job_id)
            else:
                huey.add_schedule(task)
        return due, job_ids

    def move_due_scheduled(self) -> None:
        """Put scheduled messages that are due on their queues (one round trip each way)."""
        for name in self.queues:
            huey = self.backend.huey(name)
            if due := huey.read_schedule():
                huey.enqueue_many(due)


class ScheduledMessageMover(threading.Thread):
    """A side loop: due scheduled messages back to their queues every ``MOVE_EVERY``."""

    def __init__(self, reader: QueueReader, stop: threading.Event) -> None:
        super().__init__(name="django-jobs-huey-schedule", daemon=True)
        self.reader, self.stop = reader, stop

    def run(self) -> None:
        while not self.stop.wait(MOVE_EVERY):
            try:
                self.reader.move_due_scheduled()
            except Exception as exc:  # noqa: BLE001 - Redis away: try again next time
                logger.warning("Cannot move due scheduled messages (%s); will retry", exc)


class HueyMaintenance(Maintenance):
    def __init__(self, *, backend: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backend = backend

    def tick(self) -> None:
        super().tick()
        try:
            self.backend.sweep(self.store)
        except Exception as exc:  # noqa: BLE001 - Redis or DB away: try again next tick
            logger.warning("Outbox sweep failed (%s); will retry", exc)


class HueyWorker(Worker):
    """``run_jobs`` for a HueyBackend."""

    maintenance_class = HueyMaintenance
    claim_errors = (DatabaseError, RedisError)
    backend: HueyBackend

    def __init__(self, options: WorkerOptions, signals: StopSignals | None = None) -> None:
        super().__init__(options, signals)
        self.reader = QueueReader(self.backend, self.queues or ("default",))
        self.add_side_loop(lambda stop: ScheduledMessageMover(self.reader, stop))

    def _waiter(self) -> Any:
        return _ReaderWaiter(self.reader, self._paused_queues)

    def _maintenance(
        self, running_jobs: Callable[[], list[Job]], done_count: Callable[[], int], **extra: Any
    ) -> Maintenance:
        return super()._maintenance(running_jobs, done_count, backend=self.backend, **extra)

    def _claim(self, limit: int) -> list[Job]:
        """Take messages and claim their jobs; messages of jobs not claimable are dropped
        (duplicates, cancelled jobs), so take again until a job is claimed or none is left."""
        if self.options.max_jobs is not None:
            limit = min(limit, self.options.max_jobs - self.claimed)
        while messages := self.reader.take(limit, self._paused_queues()):
            due, job_ids = self.reader.read(messages)
            try:
                jobs = self.store.claim_by_id(
                    job_ids,
                    worker_id=self.id,
                    lease_seconds=self.settings.LEASE_SECONDS,
                    due_only=True,
                )
            except DatabaseError:
                self.reader.put_back(due)
                raise
            if jobs:
                self.claimed += len(jobs)
                return jobs
        return []

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
