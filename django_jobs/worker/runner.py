"""The database-mode worker: claim due jobs in batches, run them on threads, stop cleanly.

Shutdown: the first SIGTERM/SIGINT stops claiming and gives running jobs up to
``grace`` seconds; jobs still running then are handed back (READY, attempt
counted) and the exit code is 0. A second signal hands them back at once and
the exit code is 1. Either way the job is never marked FAILED for being stopped.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

from django_jobs.compat import task_backends
from django_jobs.conf import get_settings
from django_jobs.db.notify import waiter_for
from django_jobs.execution import Outcome, run_job
from django_jobs.models import Job
from django_jobs.models import Worker as WorkerRow
from django_jobs.store import JobStore
from django_jobs.store.reconnect import retry_on_disconnect
from django_jobs.worker.health import HealthFile, LoopWatch
from django_jobs.worker.maintenance import Maintenance
from django_jobs.worker.options import WorkerOptions
from django_jobs.worker.pool import JobPool
from django_jobs.worker.stopping import EXIT_FORCED, EXIT_OK, StopSignals

logger = logging.getLogger("django_jobs")

MAX_ERROR_PAUSE = 10.0
PAUSED_QUEUES_TTL = 1.0  # a pause or resume reaches busy workers within a second


def log_stopping(worker_id: str, running: int, grace: float) -> None:
    """Say that the worker stopped claiming; a second signal now hands jobs back at once."""
    logger.info(
        "Worker %s stopping: waiting up to %.0fs for %d running job(s); signal again to stop now",
        worker_id,
        grace,
        running,
    )


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"


class Worker:
    """One ``run_jobs`` process in database mode."""

    maintenance_class: type[Maintenance] = Maintenance
    claim_errors: tuple[type[Exception], ...] = (DatabaseError,)  # back off, then claim again

    def __init__(self, options: WorkerOptions, signals: StopSignals | None = None) -> None:
        self.options = options
        self.signals = signals or StopSignals()
        self.settings = get_settings()
        self.backend = task_backends[options.backend]
        self.id = new_worker_id()
        self.store = JobStore(group_commit=True)
        self.queues = options.queues or (tuple(sorted(self.backend.queues)) or None)
        self.claimed = 0
        self.done = 0
        self._paused: tuple[float, list[str]] = (-PAUSED_QUEUES_TTL, [])
        self._done_lock = threading.Lock()
        self._side_loops: list[threading.Thread] = []
        self.watch = LoopWatch()
        self.health = HealthFile(options.health_file) if options.health_file else None

    def add_side_loop(self, factory: Callable[[threading.Event], threading.Thread]) -> None:
        """Run another loop (e.g. the scheduler) for the worker's lifetime."""
        self._side_loops.append(factory(self.signals.stop))

    def run(self) -> int:
        persistent_connections(self.store.using)
        try:
            self._register()
        except DatabaseError:
            if not self.signals.stop.is_set():
                raise
            logger.info("Worker %s stopped while waiting for its database", self.id)
            return EXIT_OK
        pool = JobPool(
            self.options.concurrency,
            self._run_one,
            ahead=self.options.concurrency * self.settings.PREFETCH,
        )
        maintenance = self._maintenance(pool.running_jobs, lambda: self.done)
        self._start_side_loops(maintenance)
        logger.info(
            "Worker %s started: queues=%s concurrency=%d",
            self.id,
            self.queues or "all",
            self.options.concurrency,
        )
        try:
            self._loop(pool)
            return self._shutdown(pool, maintenance)
        finally:
            maintenance.halt(timeout=1)
            self._unregister()

    def touch_health(self) -> None:
        """Touch the health file, if there is one (see worker/health.py)."""
        if self.health is not None:
            self.health.touch()

    def _beat_health(self) -> None:
        """Called by the maintenance thread each tick: alive only if the main loop is too."""
        if self.watch.healthy():
            self.touch_health()

    def _maintenance(
        self, running_jobs: Callable[[], list[Job]], done_count: Callable[[], int], **extra: Any
    ) -> Maintenance:
        return self.maintenance_class(
            worker_id=self.id,
            store=self.store,
            lease_seconds=self.settings.LEASE_SECONDS,
            interval=self.settings.heartbeat_seconds,
            running_jobs=running_jobs,
            done_count=done_count,
            on_tick=self._beat_health,
            **extra,
        )

    def _start_side_loops(self, maintenance: Maintenance) -> None:
        self.touch_health()
        maintenance.start()
        for loop in self._side_loops:
            loop.start()

    def _loop(self, pool: JobPool) -> None:
        waiter = self._waiter()
        errors = 0
        try:
            while not self.signals.stop.is_set() and not self._reached_max_jobs():
                self.watch.turned()
                self._hand_back_waiting(pool)
                free = pool.free_slots()
                if free == 0:
                    pool.wait_for_slot(timeout=0.5)
                    continue
                try:
                    jobs = self._claim(free)
                    errors = 0
                except self.claim_errors as exc:
                    errors += 1
                    self._pause_after_error(exc, errors)
                    continue
                pool.hand_over(jobs)
                if jobs:
                    continue
                if self.options.burst:
                    if pool.wait_idle(timeout=0.05) and not self._claimable_now():
                        return
                    continue
                self.watch.turned(waiting=self.settings.POLL_INTERVAL)
                waiter.wait(self.settings.POLL_INTERVAL, self.signals.stop)
        finally:
            waiter.close()

    def _hand_back_waiting(self, pool: JobPool) -> None:
        """Jobs claimed ahead that slow jobs keep from a thread go back for other workers."""
        waiting = pool.take_back_waiting()
        if not waiting:
            return
        self.claimed -= len(waiting)  # --max-jobs counts jobs this worker runs
        handed_back = self._hand_back(waiting)
        if handed_back:
            logger.info(
                "Worker %s handed back %d job(s) claimed ahead: its threads are busy",
                self.id,
                len(handed_back),
            )

    def _hand_back(self, jobs: list[Job]) -> list[Job]:
        """Make claimed jobs READY again for any worker; returns those this worker still held.

        The release retries across a lost connection for up to a lease; a database
        away longer must not end the worker: the jobs return when their leases run out.
        """
        handed_back: list[Job] = []
        try:
            for job in jobs:
                if self.store.release(job):
                    handed_back.append(job)
        except DatabaseError as exc:
            logger.warning(
                "Worker %s could not hand back %d job(s) (%s); they return when their leases end",
                self.id,
                len(jobs) - len(handed_back),
                exc,
            )
        if handed_back:
            self._handed_back(handed_back)
        return handed_back

    def _handed_back(self, jobs: list[Job]) -> None:
        """After jobs were handed back: nothing more to do when the table is the queue."""

    def _waiter(self) -> Any:
        """What an idle claim loop waits on: LISTEN on PostgreSQL, else a timed sleep."""
        return waiter_for(self.store.using)

    def _claim(self, limit: int) -> list[Job]:
        if self.options.max_jobs is not None:
            limit = min(limit, self.options.max_jobs - self.claimed)
        jobs = self._claim_due(limit)
        self.claimed += len(jobs)
        return jobs

    def _claim_due(self, limit: int) -> list[Job]:
        """Claim up to ``limit`` due jobs of the served queues, as the table orders them."""
        return self.store.claim(
            backend_name=self.backend.alias,
            worker_id=self.id,
            limit=limit,
            lease_seconds=self.settings.LEASE_SECONDS,
            queues=self.queues,
            paused=self._paused_queues(),
        )

    def _paused_queues(self) -> list[str]:
        """The backend's paused queues, read at most once per ``PAUSED_QUEUES_TTL``."""
        read_at, names = self._paused
        if time.monotonic() - read_at >= PAUSED_QUEUES_TTL:
            names = self.store.paused_queues(self.backend.alias)
            self._paused = (time.monotonic(), names)
        return names

    def _claimable_now(self) -> bool:
        """Whether a burst worker has more to do. While the database cannot say, yes: the
        next claim meets the error and backs off, rather than the error ending the worker."""
        qs = Job.objects.using(self.store.using).due().filter(backend_name=self.backend.alias)
        if self.queues is not None:
            qs = qs.filter(queue_name__in=self.queues)
        try:
            return qs.exclude(queue_name__in=self._paused_queues()).exists()
        except DatabaseError:
            return True

    def _reached_max_jobs(self) -> bool:
        return self.options.max_jobs is not None and self.claimed >= self.options.max_jobs

    def _pause_after_error(self, exc: Exception, errors: int) -> None:
        pause = min(MAX_ERROR_PAUSE, 0.5 * 2 ** (errors - 1))
        logger.warning("Worker %s cannot claim (%s); retrying in %.1fs", self.id, exc, pause)
        close_old_connections()
        connections[self.store.using].close()
        self.signals.stop.wait(pause)

    def _run_one(self, job: Job) -> Outcome:
        outcome = run_job(job, self.store)
        if outcome is not Outcome.DISCARDED:
            with self._done_lock:
                self.done += 1
        return outcome

    def _shutdown(self, pool: JobPool, maintenance: Maintenance) -> int:
        self.signals.stop.set()
        deadline = time.monotonic() + self.options.grace
        log_stopping(self.id, pool.busy, self.options.grace)
        while not pool.wait_idle(timeout=0.1):
            self.touch_health()  # draining is what a stopping worker should do
            if self.signals.force.is_set() or time.monotonic() >= deadline:
                break
        unfinished = pool.running_jobs()
        self._hand_back(unfinished)
        if unfinished:
            logger.warning("Worker %s handed back %d unfinished job(s)", self.id, len(unfinished))
        maintenance.halt(timeout=1)
        maintenance.last_heartbeat()
        return EXIT_FORCED if self.signals.force.is_set() else EXIT_OK

    def _register(self) -> None:
        """The worker's row; a database still starting or restarting is waited for,
        unless the worker is asked to stop meanwhile (it holds no job yet).

        Retried as ``retry_on_disconnect`` retries a job's outcome, so the insert is
        idempotent: a first try may have committed before its connection broke.
        """
        row = WorkerRow(
            id=self.id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            backend_name=self.backend.alias,
            queues=list(self.queues or []),
            concurrency=self.options.concurrency,
        )
        rows = WorkerRow.objects.using(self.store.using)
        retry_on_disconnect(
            self.store.using,
            lambda: rows.bulk_create([row], ignore_conflicts=True),
            stop=self.signals.stop,
        )

    def _unregister(self) -> None:
        if self.health is not None:
            self.health.remove()
        try:
            WorkerRow.objects.using(self.store.using).filter(pk=self.id).update(
                stopped_at=timezone.now()
            )
        except DatabaseError as exc:
            logger.warning("Worker %s could not record its stop: %s", self.id, exc)


def persistent_connections(using: str) -> None:
    """Workers keep their connections open and health-checked, whatever the web settings."""
    settings_dict = connections.settings[using]
    settings_dict["CONN_MAX_AGE"] = None
    settings_dict["CONN_HEALTH_CHECKS"] = True
