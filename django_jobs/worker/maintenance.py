"""The worker's side loop: heartbeat, lease renewal, cancels and recovery of expired leases.

One thread does all of it every heartbeat interval; a running job that an
operator cancelled is stopped at the next beat (plain functions only: a
coroutine or code stuck in a C call finishes its attempt). A database error is logged
and the loop goes on: if it lasts longer than a lease, other workers rescue our
jobs and our late results are fenced out, so nothing is lost either way.

The loop runs until the worker has finished stopping, not merely until the first
signal: jobs draining during ``--grace`` keep their leases renewed, or another
worker would rescue and run them a second time while they are still running.
"""

import logging
import threading
from collections.abc import Callable

from django.db import DatabaseError, close_old_connections, connections
from django.db.models import F
from django.utils import timezone

from django_jobs.models import Job, Worker
from django_jobs.store import JobStore
from django_jobs.timeouts import cancel_running

logger = logging.getLogger("django_jobs")


class Maintenance(threading.Thread):
    def __init__(
        self,
        *,
        worker_id: str,
        store: JobStore,
        lease_seconds: float,
        interval: float,
        running_jobs: Callable[[], list[Job]],
        done_count: Callable[[], int],
        on_tick: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name="jobs-maintenance", daemon=True)
        self.worker_id = worker_id
        self.store = store
        self.lease_seconds = lease_seconds
        self.interval = interval
        self._running_jobs = running_jobs
        self._done_count = done_count
        self._halted = threading.Event()
        self._reported_done = 0
        self._on_tick = on_tick

    def run(self) -> None:
        while not self._halted.wait(self.interval):
            self.tick()

    def halt(self, timeout: float) -> None:
        """End the loop once the worker's jobs are finished or handed back."""
        self._halted.set()
        if self.is_alive():  # never started when the worker failed while starting
            self.join(timeout)

    def tick(self) -> None:
        try:
            self.heartbeat()
            self.store.recover_expired()
        except Exception as exc:  # noqa: BLE001 - keep beating; see module docstring
            logger.warning("Worker %s maintenance failed (%s); will retry", self.worker_id, exc)
        finally:
            close_old_connections()
        self._on_tick()  # even after a database error: see worker/health.py

    def last_heartbeat(self) -> None:
        """Report the final count at shutdown, from the stopping (main) thread.

        That thread may have sat idle through a database restart (a huey worker's
        main thread never queries), so its connection can be dead: on an error,
        reconnect and try once more. A failure costs the report, never the clean exit.
        """
        for attempt in (1, 2):
            try:
                self.heartbeat()
                return
            except DatabaseError as exc:
                connections[self.store.using].close()
                if attempt == 2:
                    logger.warning("Worker %s: last heartbeat failed (%s)", self.worker_id, exc)

    def heartbeat(self) -> None:
        ids = [job.pk for job in self._running_jobs()]
        if ids:
            self.store.extend_leases(self.worker_id, ids, self.lease_seconds)
            for job_id in self.store.cancel_requested(self.worker_id, ids):
                if cancel_running(job_id):
                    logger.info("Worker %s: stopping job %s, cancelled", self.worker_id, job_id)
        done = self._done_count()
        Worker.objects.using(self.store.using).filter(pk=self.worker_id).update(
            heartbeat_at=timezone.now(), jobs_done=F("jobs_done") + (done - self._reported_done)
        )
        self._reported_done = done
