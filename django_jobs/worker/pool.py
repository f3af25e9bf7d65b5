"""A fixed set of daemon threads that run claimed jobs.

Not ``ThreadPoolExecutor``: its threads are joined at interpreter exit, so a
stuck task would keep a force-stopped worker alive. Ours are daemon threads and
the pool knows which job each one holds, so shutdown can hand them back.
"""

import logging
import queue
import threading
from collections.abc import Callable

from django_jobs.db.between_jobs import close_old_connections_between_jobs
from django_jobs.models import Job

logger = logging.getLogger("django_jobs")


class JobPool:
    def __init__(self, size: int, run: Callable[[Job], None], name: str = "jobs") -> None:
        self.size = size
        self._run = run
        self._inbox: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._changed = threading.Condition()
        self._running: dict[object, Job] = {}
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

    def free_slots(self) -> int:
        with self._changed:
            return self.size - self._queued

    def submit(self, job: Job) -> None:
        with self._changed:
            self._queued += 1
            self._running[job.pk] = job
        self._inbox.put(job)

    def running_jobs(self) -> list[Job]:
        with self._changed:
            return list(self._running.values())

    def wait_for_slot(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._queued < self.size, timeout)

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._queued == 0, timeout)

    def _serve(self) -> None:
        while True:
            job = self._inbox.get()
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
                    self._running.pop(job.pk, None)
                    self._changed.notify_all()
