"""Raw huey (RedisHuey, no Django): the ceiling for django-jobs' huey mode.

Two ``huey_consumer`` processes with 4 threads each, as in huey mode.
"""

from bench.system import System, python

THREADS = 4


class RawHuey(System):
    def setup(self) -> None:
        from bench import raw_huey_app

        self.app = raw_huey_app

    def enqueue(self, enqueued_at: float) -> None:
        self.app.bench_job(enqueued_at)

    def worker_command(self) -> list[str]:
        return [
            python(),
            "-m",
            "huey.bin.huey_consumer",
            "bench.raw_huey_app.huey",
            "--workers",
            str(THREADS),
            "--worker-type",
            "thread",
            "--quiet",
            "--delay",
            "0.001",
            "--max-delay",
            "0.01",
        ]
