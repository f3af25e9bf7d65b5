"""django-q2 with its ORM broker (on the row's database) or its Redis broker.

One ``qcluster`` with ``workers=2`` is the row's two worker processes; the cluster adds
its own pusher, monitor and guard processes. Results are saved in the row's database.
"""

from bench.peers.peer_django import setup_django
from bench.system import System, python


class DjangoQ2(System):
    processes = 1  # one cluster, two worker processes inside it
    broker = ""

    def setup(self) -> None:
        setup_django(BENCH_Q_BROKER=self.broker)
        from django_q.tasks import async_task

        self.async_task = async_task

    def reset(self) -> None:
        from django_q.models import OrmQ, Task

        OrmQ.objects.all().delete()
        Task.objects.all().delete()

    def enqueue(self, enqueued_at: float) -> None:
        self.async_task("bench.jobs.mark", enqueued_at)

    def worker_command(self) -> list[str]:
        return [python(), "-m", "django", "qcluster"]


class OrmBroker(DjangoQ2):
    broker = "orm"


class RedisBroker(DjangoQ2):
    broker = "redis"
