"""Where huey mode's enqueue-to-start time goes, step by step, at low load.

    .venv/bin/python bench/latency_path.py [--samples 200] [--only huey-postgres huey-sqlite]

``side_by_side.py`` times each job from ``enqueue()`` to its start. This script splits
that time for huey mode. As there, two ``run_jobs --concurrency 4`` workers are started,
warmed up with 5 jobs and left idle, then ``--samples`` jobs are enqueued one every 15 ms
from this process; the job records its start in Redis (``bench.jobs.mark``). The
enqueueing process notes when the job's ``INSERT`` returned and when the job was handed
to the publisher thread; the workers (``bench/latency_probe.py``) note when the message
woke them, when the claim started and ended, and when a pool thread took the job.
Printed per setup: p50 and p95 of each step, in ms, over the jobs. The steps' p50s need
not add up to the total's.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.database import demo_project_env, loopback_servers  # noqa: E402
from bench.measure import percentile, wait_for_done  # noqa: E402

SETUPS = {"huey-postgres": "postgres", "huey-sqlite": "sqlite"}  # name: history database
GAP = 0.015  # seconds between two jobs, as in side_by_side.py
WORKERS, THREADS = 2, 4
WORKER_NOTES = ("woken", "claiming", "claimed", "taken")  # in bench/latency_probe.py's order
# Each step: its label, and the two notes it lies between (see ``steps_of``).
STEPS = [
    ("enqueue() until its INSERT returned", "called", "inserted"),
    ("INSERT to the publisher thread", "inserted", "handed"),
    ("publisher to the worker's wake (Redis)", "handed", "woken"),
    ("wake to the claim", "woken", "claiming"),
    ("claim: message read, UPDATE", "claiming", "claimed"),
    ("claimed to a pool thread", "claimed", "taken"),
    ("pool thread to the job's start", "taken", "started"),
    ("total: enqueue() to the job's start", "called", "started"),
]


def sample(samples: int) -> list[dict[str, float]]:
    """In a child configured for one setup: each sampled job's notes (epoch seconds)."""
    from bench.database import configure_django

    configure_django(os.environ["DATABASE_URL"])
    import redis

    from bench.latency_probe import FLUSH_EVERY, LATENCY_KEY
    from bench.noop_tasks import bench_job
    from bench.workers import WorkerGroup
    from django_jobs.backends.huey import process_publisher
    from django_jobs.store import JobStore

    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    notes: dict[float, dict[str, float]] = {}
    current: dict[str, float] = {}
    create, submit = JobStore.create, process_publisher.submit

    def noted_create(store: JobStore, *args: Any, **kwargs: Any) -> Any:
        created = create(store, *args, **kwargs)
        current["inserted"] = time.time()
        return created

    def noted_submit(*args: Any) -> None:
        current["handed"] = time.time()
        submit(*args)

    JobStore.create = noted_create  # type: ignore[method-assign,assignment]
    process_publisher.submit = noted_submit  # type: ignore[method-assign,assignment]
    command = [sys.executable, str(ROOT / "bench" / "latency_probe.py")]
    command += ["--queue", "default", "--concurrency", str(THREADS), "--no-scheduler"]
    with WorkerGroup([command] * WORKERS) as workers:
        wait_for_starts(client, workers, 5, lambda n: bench_job.enqueue(0.0))
        workers.settle()
        client.delete("bench:starts", LATENCY_KEY)
        began = time.monotonic()

        def enqueue(n: int) -> None:
            time.sleep(max(0.0, began + n * GAP - time.monotonic()))
            current.clear()
            called = time.time()
            bench_job.enqueue(called)
            notes[called] = {"called": called, **current}

        wait_for_starts(client, workers, samples, enqueue)
        time.sleep(5 * FLUSH_EVERY)  # the workers' last notes reach Redis
    for line in client.lrange(LATENCY_KEY, 0, -1):
        called, *steps = map(float, line.split())
        if called in notes:
            notes[called] |= dict(zip(WORKER_NOTES, steps, strict=True))
    for line in client.lrange("bench:starts", 0, -1):
        called, started = map(float, line.split())
        notes[called]["started"] = started
    return [note for note in notes.values() if len(note) == 8]  # claimed by a wake-up


def wait_for_starts(client: Any, workers: Any, jobs: int, enqueue: Any) -> None:
    """Enqueue ``jobs`` (``enqueue(n)`` each) and wait until all have started."""
    done = int(client.get("bench:done") or 0)
    for n in range(jobs):
        enqueue(n)
    wait_for_done(client, done + jobs, workers, 60.0)


def steps_of(notes: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Per step, p50 and p95 in ms over the jobs."""
    figures = {}
    for label, start, end in STEPS:
        spans = sorted(1000 * (note[end] - note[start]) for note in notes)
        figures[label] = (percentile(spans, 0.50), percentile(spans, 0.95))
    return figures


def run_setup(name: str, samples: int, redis_url: str, postgres: Any) -> dict:
    env = demo_project_env("huey", redis_url, postgres if SETUPS[name] == "postgres" else None)
    env["BENCH_REDIS_URL"] = redis_url
    command = [sys.executable, __file__, "--child", str(samples)]
    done = subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE)
    notes = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return {"jobs": len(notes), "steps": steps_of(notes)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--only", nargs="+", choices=sorted(SETUPS), default=list(SETUPS))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(sample(args.child)))
        return
    needs_postgres = any(SETUPS[name] == "postgres" for name in args.only)
    with loopback_servers(postgres=needs_postgres) as (redis, postgres):
        results = {name: run_setup(name, args.samples, redis.url, postgres) for name in args.only}
    print(
        f"huey mode, {WORKERS} x run_jobs --concurrency {THREADS}; one job every "
        f"{GAP * 1000:.0f} ms into idle workers; p50 / p95 ms; {os.cpu_count()} CPUs"
    )
    print(f"{'step':40}" + "".join(f"{name:>22}" for name in results))
    for label, _, _ in STEPS:
        cells = "".join(
            f"{'{:.2f} / {:.2f}'.format(*r['steps'][label]):>22}" for r in results.values()
        )
        print(f"{label:40}{cells}")
    print(f"{'jobs sampled':40}" + "".join(f"{r['jobs']:>22}" for r in results.values()))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
