"""django-tasks-db's DatabaseBackend with its ``db_worker`` command.

A ``db_worker`` runs one task at a time (it has no threads), so the row gets two of
them, with their default one-second poll interval when the queue is empty.
"""

from bench.peers.peer_django import setup_django
from bench.system import System, python


class TasksDB(System):
    def setup(self) -> None:
        setup_django(BENCH_TASKS_BACKEND="django_tasks_db.DatabaseBackend")
        from bench.peers.django_task import bench_job

        self.task = bench_job

    def reset(self) -> None:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()

    def enqueue(self, enqueued_at: float) -> None:
        self.task.enqueue(enqueued_at)

    def worker_command(self) -> list[str]:
        return [
            python(),
            "-m",
            "django",
            "db_worker",
            "--queue-name",
            "default",
            "--no-startup-delay",
            "--no-reload",
        ]
