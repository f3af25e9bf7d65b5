"""A fault drill: ledger jobs, real ``run_jobs`` processes, and the faults done to them.

A drill remembers which worker processes it killed or froze, because those are
the only ones whose lost runs may explain a job running again (see ``audit.py``).
Workers run in database mode, or in huey mode against a given Redis.
"""

import random
import signal
import socket
import time
from pathlib import Path

from django.db import InterfaceError, OperationalError, connection, transaction

from django_jobs.api import enqueue_many
from django_jobs.models import Job, Worker
from tests import tasks
from tests.faults.audit import TASK_PATH, Audit, audit
from tests.worker.helpers import WorkerProcess, wait_until

WORKER_ARGS = ("--concurrency", "4", "--no-scheduler")


class Drill:
    def __init__(self, ledger: Path, *, redis_url: str | None = None, quiet: bool = False) -> None:
        """``quiet``: workers log warnings only, not a line per job (long runs)."""
        self.ledger = ledger
        self.env = {"JOBS_TEST_BACKEND": "huey", "REDIS_URL": redis_url} if redis_url else {}
        if quiet:
            self.env["JOBS_LOG_LEVEL"] = "WARNING"
        self.workers: list[WorkerProcess] = []
        self.faulted_pids: set[int] = set()
        self.restarts = 0
        self.enqueued = 0

    # -- jobs -------------------------------------------------------------------

    def enqueue(self, count: int, seconds: float = 0.0) -> list[int]:
        """Enqueue ``count`` more drill jobs in one transaction; their numbers."""
        numbers = list(range(self.enqueued, self.enqueued + count))
        with transaction.atomic():
            enqueue_many(tasks.drill, [((n, seconds), {}) for n in numbers])
        self.enqueued += count
        return numbers

    def unfinished(self) -> int:
        return self.count(finished_at__isnull=True)

    def count(self, **filters: object) -> int:
        """Count drill jobs; -1 while the database is away (a restart under test)."""
        try:
            return Job.objects.filter(task_path=TASK_PATH, **filters).count()
        except (OperationalError, InterfaceError):
            connection.close()
            return -1

    def wait_until_finished(self, timeout: float = 120) -> None:
        wait_until(lambda: self.unfinished() == 0, timeout=timeout, interval=0.2)

    # -- workers ----------------------------------------------------------------

    def start(self, *args: str) -> WorkerProcess:
        worker = WorkerProcess(*(args or WORKER_ARGS), ledger=self.ledger, env=self.env)
        self.workers.append(worker)
        return worker

    def alive(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.process.poll() is None]

    def kill(self, worker: WorkerProcess) -> None:
        self.faulted_pids.add(worker.process.pid)
        worker.kill()

    def kill_one_and_restart(self) -> None:
        """SIGKILL a random busy worker (any, if none is busy) and start another in its place.

        A busy one, so the kill lands mid-run: that is the case the lease must rescue.
        """
        busy = self._busy_pids()
        alive = self.alive()
        self.kill(random.choice([w for w in alive if w.process.pid in busy] or alive))
        self.start()
        self.restarts += 1

    def _busy_pids(self) -> set[int]:
        running = Job.objects.filter(status="RUNNING").values_list("worker_id", flat=True)
        rows = Worker.objects.filter(pk__in=set(running))
        return set(rows.values_list("pid", flat=True))

    def freeze(self, worker: WorkerProcess) -> None:
        """SIGSTOP: the process stops heartbeating, as under a long pause, but stays alive."""
        self.faulted_pids.add(worker.process.pid)
        worker.signal(signal.SIGSTOP)

    def thaw(self, worker: WorkerProcess) -> None:
        worker.signal(signal.SIGCONT)

    def stop_all(self, timeout: float = 60) -> list[int]:
        """SIGTERM every live worker at once, once each has started; their exit codes.

        A worker still importing Django has no handlers yet and dies of the signal (it
        holds no job then): a replacement started just before the backlog ran out must
        register (after its handlers are in place) before the graceful stop is measured.
        """
        alive = self.alive()
        wait_until(
            lambda: {worker.process.pid for worker in alive} <= self._registered_pids(),
            timeout=timeout,
            describe=lambda: [worker.output[-300:] for worker in alive],
        )
        for worker in alive:
            worker.signal(signal.SIGTERM)
        return [worker.wait(timeout=timeout) for worker in alive]

    def _registered_pids(self) -> set[int]:
        """Pids of this host's registered workers; none while the database is away."""
        rows = Worker.objects.filter(hostname=socket.gethostname()[:255])
        try:
            return set(rows.values_list("pid", flat=True))
        except (OperationalError, InterfaceError):
            connection.close()
            return set()

    def close(self) -> None:
        for worker in self.alive():
            worker.signal(signal.SIGCONT)
            worker.kill()

    # -- checks -----------------------------------------------------------------

    def faulted_workers(self) -> set[str]:
        """Worker ids of the processes this drill killed or froze."""
        rows = Worker.objects.filter(pid__in=self.faulted_pids, hostname=socket.gethostname()[:255])
        return set(rows.values_list("id", flat=True))

    def audit(self) -> Audit:
        return audit(range(self.enqueued), self.ledger, self.faulted_workers())

    def kill_while_draining(self, kills: int, every: tuple[float, float]) -> None:
        """Kill a random worker every ``every`` seconds (a random pause) while jobs remain."""
        while self.restarts < kills and self.unfinished():
            time.sleep(random.uniform(*every))
            self.kill_one_and_restart()
