"""A fixed set of daemon threads that run claimed jobs, and the jobs waiting for them.

Not ``ThreadPoolExecutor``: its threads are joined at interpreter exit, so a
stuck task would keep a force-stopped worker alive. Ours are daemon threads and
the pool knows which jobs it holds (running or waiting), so the heartbeat renews
their leases and shutdown can hand them back.

Claiming ahead: when jobs finish quickly, one claim per free thread would make
the claim statement the bottleneck. The pool then takes up to ``ahead`` jobs
more than it has threads, but never more than its threads finished in the last
``AHEAD_WINDOW`` seconds: a job claimed ahead waits about that long, and a pool
whose jobs are slow claims nothing ahead, leaving the work to idle workers. If
slow jobs take every thread after all, the worker hands back what has waited
longer than ``MAX_WAIT`` (``take_back_waiting``) for other workers to take. While
every thread has a job waiting for it, the pool asks for more only once there is
room for half of what may wait ahead: claims of one or two jobs each, as threads
finish, would cost a statement (and in huey mode a Redis round trip) per job or two;
and a finished job wakes the claiming thread only once there is room (or nothing left),
not for each of the jobs in between.

Handing over (``hand_over``): jobs that idle threads can take at once are waited for
until they have, so that a woken thread does not wait for the GIL while the claiming
thread runs its next claim.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable

from django_jobs.db.between_jobs import close_old_connections_between_jobs
from django_jobs.models import Job

logger = logging.getLogger("django_jobs")

AHEAD_WINDOW = 0.1
MAX_WAIT = 1.0
HANDOVER_WAIT = 0.002  # the longest the claiming thread waits for idle threads to start jobs


class RecentCount:
    """How many events happened in the last ``window`` seconds (the larger of the current
    and the previous window: cheap, and never zero right after a window turns)."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._slot = 0
        self._count = 0
        self._previous = 0

    def add(self) -> None:
        self._turn(int(self._clock() / self._window))
        self._count += 1

    def value(self) -> int:
        self._turn(int(self._clock() / self._window))
        return max(self._count, self._previous)

    def _turn(self, slot: int) -> None:
        if slot != self._slot:
            self._previous = self._count if slot == self._slot + 1 else 0
            self._slot, self._count = slot, 0


class JobPool:
    def __init__(
        self, size: int, run: Callable[[Job], object], name: str = "jobs", ahead: int = 0
    ) -> None:
        """``size`` threads run jobs; up to ``ahead`` more may wait for them (see above)."""
        self.size = size
        self.ahead = ahead
        self._finished = RecentCount(AHEAD_WINDOW)
        self._run = run
        self._inbox: queue.SimpleQueue[Job] = queue.SimpleQueue()
        lock = threading.RLock()
        self._changed = threading.Condition(lock)
        self._all_started = threading.Condition(lock)  # nothing waits for a thread any more
        self._running: dict[object, Job] = {}  # every job held: waiting or running
        self._waiting: dict[object, tuple[Job, float]] = {}  # not started; oldest first
        self._queued = 0
        self._threads = [
            threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def busy(self) -> int:
        return self._queued

    @property
    def waiting(self) -> int:
        """Jobs held but not started: claimed ahead, or not yet taken by a thread."""
        return len(self._waiting)

    def free_slots(self) -> int:
        """How many jobs to claim now: free threads, plus room to claim ahead (see above).

        Never below zero: the room to claim ahead shrinks once jobs stop finishing
        fast, below what is already held (a negative limit is no limit to SQLite).
        """
        with self._changed:
            return self._room()

    def _room(self) -> int:
        ahead = min(self.ahead, self._finished.value())
        room = self.size + ahead - self._queued
        if len(self._waiting) >= self.size and room < ahead // 2:
            return 0  # every thread has a next job: claim once there is room for a batch
        return max(0, room)

    def submit(self, job: Job) -> None:
        with self._changed:
            self._queued += 1
            self._running[job.pk] = job
            self._waiting[job.pk] = (job, time.monotonic())
        self._inbox.put(job)

    def hand_over(self, jobs: list[Job]) -> None:
        """Submit ``jobs``; if idle threads can take them all, return once they have
        (or after ``HANDOVER_WAIT``).

        Why wait: a woken thread needs the GIL to start its job, and the claiming
        thread, going straight on to its next claim, holds it until that claim's round
        trip. At low load that was the longest step from a job's claim to its start
        (``bench/latency_path.py``); waiting here, the claiming thread lets the GIL go.
        A busy pool's jobs wait for a thread anyway: nothing is waited for then.
        """
        with self._changed:
            idle_threads = self.size - self._queued
        for job in jobs:
            self.submit(job)
        if jobs and len(jobs) <= idle_threads:
            with self._changed:
                self._all_started.wait_for(lambda: not self._waiting, HANDOVER_WAIT)

    def take_back_waiting(self, longer_than: float = MAX_WAIT) -> list[Job]:
        """Give up the jobs that have waited for a thread longer than ``longer_than`` seconds.

        The caller hands them back to the queue; a thread that later finds one in
        the inbox skips it. Checks only the oldest waiting job when none is stale.
        """
        taken = []
        deadline = time.monotonic() - longer_than
        with self._changed:
            while self._waiting:
                pk, (job, submitted_at) = next(iter(self._waiting.items()))
                if submitted_at > deadline:
                    break
                del self._waiting[pk]
                self._running.pop(pk, None)
                self._queued -= 1
                taken.append(job)
            if taken:
                self._changed.notify_all()
        return taken

    def running_jobs(self) -> list[Job]:
        with self._changed:
            return list(self._running.values())

    def wait_for_slot(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._room() > 0, timeout)

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._queued == 0, timeout)

    def _serve(self) -> None:
        while True:
            job = self._inbox.get()
            if not self._start(job):
                continue
            try:
                self._run(job)
            except Exception:
                logger.exception(
                    "Job %s: unexpected error in the worker; its lease will expire", job.pk
                )
            finally:
                close_old_connections_between_jobs()
                with self._changed:
                    self._queued -= 1
                    self._finished.add()
                    self._running.pop(job.pk, None)
                    if self._queued == 0 or self._room() > 0:  # what waiters wait for
                        self._changed.notify_all()

    def _start(self, job: Job) -> bool:
        """Whether ``job`` is still this pool's to run (not taken back while it waited)."""
        with self._changed:
            waiting = self._waiting.get(job.pk)
            if waiting is None or waiting[0] is not job:  # a later claim of it may be waiting
                return False
            del self._waiting[job.pk]
            if not self._waiting:
                self._all_started.notify_all()
            return True
