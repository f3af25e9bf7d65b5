"""Celery on Redis: ``.delay()`` to enqueue; one worker with a prefork pool of 2 processes."""

from bench.system import System, python


class Celery(System):
    processes = 1  # one ``celery worker``, two pool processes inside it

    def setup(self) -> None:
        from bench.peers.celery_app import bench_job

        self.task = bench_job

    def enqueue(self, enqueued_at: float) -> None:
        self.task.delay(enqueued_at)

    def worker_command(self) -> list[str]:
        return [
            python(),
            "-m",
            "celery",
            "-A",
            "bench.peers.celery_app",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
