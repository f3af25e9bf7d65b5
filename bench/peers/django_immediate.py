"""Django's own ImmediateBackend: the job runs inside ``enqueue()``, nothing is stored."""

from bench.peers.peer_django import setup_django
from bench.system import System


class DjangoImmediate(System):
    processes = 0

    def setup(self) -> None:
        setup_django(BENCH_TASKS_BACKEND="django.tasks.backends.immediate.ImmediateBackend")
        from bench.peers.django_task import bench_job

        self.task = bench_job

    def enqueue(self, enqueued_at: float) -> None:
        self.task.enqueue(enqueued_at)
