"""The huey-mode worker: huey consumers for our queues, with our shutdown and leases.

One huey ``Consumer`` per queue (huey serves one queue key per instance), each with
``--concurrency`` worker threads. ``Consumer.start()`` installs huey's own signal
handlers; we put ours back so both modes stop the same way: first signal drains
within the grace time and hands back what is left (exit 0), a second one hands
back at once (exit 1). Our maintenance loop adds heartbeats, lease renewal and
rescue, and the outbox sweep that publishes jobs Redis never received.
"""

import logging
import time
from typing import Any

from django.db import DatabaseError

from django_jobs.backends.huey import HueyBackend, runtime
from django_jobs.db.between_jobs import close_old_connections_between_jobs
from django_jobs.worker.maintenance import Maintenance
from django_jobs.worker.runner import (
    EXIT_FORCED,
    EXIT_OK,
    Worker,
    log_stopping,
    persistent_connections,
)

logger = logging.getLogger("django_jobs")


def _close_connections(task: Any, task_value: Any, exc: BaseException | None) -> None:
    close_old_connections_between_jobs()


def _threads_alive(consumer: Any) -> bool:
    """huey's threads catch task errors, but one that died would leave its queue unserved."""
    threads = [thread for _, thread in consumer.worker_threads] + [consumer.scheduler]
    return all(consumer.environment.is_alive(thread) for thread in threads)


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
    backend: HueyBackend

    def run(self) -> int:
        from huey.consumer import Consumer

        class QuietConsumer(Consumer):
            """Leaves signals to us: huey's handlers, installed while consumers start, would
            swallow a SIGTERM that arrives between two consumers' starts."""

            def _set_signal_handlers(self) -> None:
                pass

        runtime.worker_id = self.id
        persistent_connections(self.store.using)
        self._register()
        queues = self.queues or ("default",)
        for queue in queues:
            # Each job runs on a huey thread: give its connection back like a request would.
            self.backend.huey(queue).post_execute()(_close_connections)
        consumers = [
            QuietConsumer(
                self.backend.huey(queue),
                workers=self.options.concurrency,
                periodic=False,
                worker_type="thread",
                check_worker_health=False,
            )
            for queue in queues
        ]
        maintenance = self._maintenance(
            runtime.running_jobs, lambda: runtime.done, backend=self.backend
        )
        try:
            for consumer in consumers:
                consumer.start()
            self._start_side_loops(maintenance)
            logger.info("Huey worker %s started: queues=%s", self.id, list(queues))
            self._wait_for_stop(consumers)
            return self._stop_consumers(consumers, maintenance)
        finally:
            maintenance.halt(timeout=1)
            self._unregister()

    def _wait_for_stop(self, consumers: list) -> None:
        while not self.signals.stop.wait(0.2):
            if all(map(_threads_alive, consumers)):
                self.watch.turned()
            if self.options.max_jobs is not None and runtime.done >= self.options.max_jobs:
                return
            if self.options.burst and self._drained():
                return

    def _drained(self) -> bool:
        try:
            return (
                not runtime.running_jobs()
                and not self._claimable_now()
                and all(
                    self.backend.huey(q).storage.queue_size() == 0
                    for q in self.queues or ("default",)
                )
            )
        except DatabaseError:
            return False

    def _stop_consumers(self, consumers: list, maintenance: Maintenance) -> int:
        self.signals.stop.set()
        for consumer in consumers:
            consumer.stop_flag.set()
        deadline = time.monotonic() + self.options.grace
        log_stopping(self.id, len(runtime.running_jobs()), self.options.grace)
        while runtime.running_jobs():
            self.touch_health()
            if self.signals.force.is_set() or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        unfinished = runtime.running_jobs()
        for job in unfinished:
            self.store.release(job)
        if unfinished:
            logger.warning("Worker %s handed back %d unfinished job(s)", self.id, len(unfinished))
        else:
            for consumer in consumers:
                for _, thread in consumer.worker_threads:
                    thread.join(timeout=2)
        maintenance.halt(timeout=1)
        maintenance.last_heartbeat()
        return EXIT_FORCED if self.signals.force.is_set() else EXIT_OK
