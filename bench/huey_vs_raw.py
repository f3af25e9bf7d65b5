"""Huey mode against raw huey: same Redis, same job, same workers, one run.

    .venv/bin/python bench/huey_vs_raw.py [--jobs 5000] [--workers 2] [--threads 4] [--runs 3]

Starts its own redis-server on a free loopback port (and keeps huey mode's job
history in a fresh SQLite file), then for each system measures: enqueue rate
from one process, drain rate of --jobs queued jobs with --workers processes of
--threads threads, and enqueue-to-start latency p50/p95 of 200 jobs sent one
at a time into idle workers. Prints medians of --runs runs with min and max.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.redis import RedisServer  # noqa: E402

LATENCY_SAMPLES = 200


class System:
    name = ""

    def __init__(self, env: dict) -> None:
        self.env = env

    def enqueue(self, enqueued_at: float) -> None:
        raise NotImplementedError

    def worker_command(self, threads: int) -> list[str]:
        raise NotImplementedError

    def reset(self) -> None:
        """Start from an empty queue and history."""


class RawHuey(System):
    name = "raw huey (RedisHuey)"

    def __init__(self, env: dict) -> None:
        super().__init__(env)
        from bench import raw_huey_app

        self.app = raw_huey_app

    def enqueue(self, enqueued_at: float) -> None:
        self.app.bench_job(enqueued_at)

    def worker_command(self, threads: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "huey.bin.huey_consumer",
            "bench.raw_huey_app.huey",
            "-w",
            str(threads),
            "-k",
            "thread",
            "-q",
            "-d",
            "0.001",
            "-m",
            "0.01",
        ]


class HueyMode(System):
    name = "django-jobs huey mode"

    def __init__(self, env: dict) -> None:
        super().__init__(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from bench.noop_tasks import bench_job

        self.task = bench_job

    def enqueue(self, enqueued_at: float) -> None:
        self.task.enqueue(enqueued_at)

    def worker_command(self, threads: int) -> list[str]:
        return [
            sys.executable,
            str(ROOT / "manage.py"),
            "run_jobs",
            "--concurrency",
            str(threads),
            "--no-scheduler",
        ]

    def reset(self) -> None:
        from django_jobs.models import Job, Worker

        Job.objects.all().delete()
        Worker.objects.all().delete()


def measure(system: System, redis_client, args) -> dict:
    system.reset()
    redis_client.flushall()
    started = time.perf_counter()
    for _ in range(args.jobs):
        system.enqueue(0.0)
    enqueue_rate = args.jobs / (time.perf_counter() - started)

    env = {**os.environ, **system.env}
    log = open(Path(tempfile.gettempdir()) / "bench-workers.log", "ab")  # noqa: SIM115
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            system.worker_command(args.threads), cwd=ROOT, env=env, stdout=log, stderr=log
        )
        for _ in range(args.workers)
    ]
    try:
        wait_for_done(redis_client, args.jobs, timeout=600, workers=workers)
        drain_rate = args.jobs / (time.perf_counter() - started)
        latencies = []
        for _ in range(LATENCY_SAMPLES):
            before = int(redis_client.get("bench:done") or 0)
            system.enqueue(time.time())
            wait_for_done(redis_client, before + 1, timeout=30, workers=workers)
            time.sleep(0.01)
        for item in redis_client.lrange("bench:starts", 0, -1):
            enqueued, began = map(float, item.split())
            latencies.append((began - enqueued) * 1000)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        log.close()
    latencies.sort()
    return {
        "enqueue jobs/s": enqueue_rate,
        "drain jobs/s": drain_rate,
        "latency p50 ms": latencies[len(latencies) // 2],
        "latency p95 ms": latencies[int(len(latencies) * 0.95)],
    }


def wait_for_done(redis_client, count: int, timeout: float, workers: list) -> None:
    deadline = time.monotonic() + timeout
    while int(redis_client.get("bench:done") or 0) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {count} jobs")
        if any(worker.poll() is not None for worker in workers):
            raise SystemExit(
                f"a worker exited early; see {tempfile.gettempdir()}/bench-workers.log"
            )
        time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import redis

    with RedisServer() as server:
        database = Path(tempfile.mkdtemp(prefix="bench-")) / "history.sqlite3"
        env = {
            "BENCH_REDIS_URL": server.url,
            "REDIS_URL": server.url,
            "JOBS_BACKEND": "huey",
            "DATABASE_URL": f"sqlite:///{database}",
            "JOBS_LOG_LEVEL": "WARNING",
            "DEBUG": "False",
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(env)
        client = redis.Redis.from_url(server.url, decode_responses=True)
        systems = [RawHuey(env), HueyMode(env)]
        results = {s.name: [measure(s, client, args) for _ in range(args.runs)] for s in systems}
    print(
        f"\n{args.jobs} jobs, {args.workers} worker processes x {args.threads} threads, "
        f"{args.runs} runs (median [min-max]); {os.cpu_count()} CPUs\n"
    )
    figures = list(next(iter(results.values()))[0])
    print(f"{'system':<24}" + "".join(f"{f:>26}" for f in figures))
    for name, runs in results.items():
        cells = []
        for figure in figures:
            values = [run[figure] for run in runs]
            cells.append(f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]")
        print(f"{name:<24}" + "".join(f"{c:>26}" for c in cells))


if __name__ == "__main__":
    main()
