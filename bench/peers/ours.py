"""django-jobs in its three modes, on the demo project's settings (``testproject``).

Workers are ``manage.py run_jobs --queue default --concurrency 4 --no-scheduler``, two
processes: the shape ``bench/db_drain.py`` has always measured.
"""

import os

from bench.database import ROOT, configure_django
from bench.system import System, python

THREADS = 4


class OursBase(System):
    mode = ""

    def setup(self) -> None:
        os.environ["JOBS_BACKEND"] = self.mode
        os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
        os.environ["JOBS_LOG_LEVEL"] = "WARNING"
        configure_django(os.environ["BENCH_DATABASE_URL"])
        from bench.noop_tasks import bench_job

        self.task = bench_job

    def reset(self) -> None:
        from django_jobs.models import Job, Worker

        Job.objects.all().delete()
        Worker.objects.all().delete()

    def enqueue(self, enqueued_at: float) -> None:
        self.task.enqueue(enqueued_at)

    def enqueue_bulk(self, count: int) -> bool:
        from django_jobs import api

        api.enqueue_many(self.task, [((0.0,), {})] * count)
        return True

    def sent(self) -> None:
        if self.mode == "huey":  # sent and marked published by the publisher thread
            from django_jobs.backends.huey import process_publisher

            process_publisher.flush()

    def worker_command(self) -> list[str]:
        return [
            python(),
            str(ROOT / "manage.py"),
            "run_jobs",
            "--queue",
            "default",
            "--concurrency",
            str(THREADS),
            "--no-scheduler",
        ]


class Immediate(OursBase):
    mode = "immediate"
    processes = 0


class Database(OursBase):
    mode = "database"


class Huey(OursBase):
    mode = "huey"
