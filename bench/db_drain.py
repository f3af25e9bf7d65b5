"""Database mode: enqueue rate and drain rate on SQLite (and PostgreSQL with --postgres).

    .venv/bin/python bench/db_drain.py [--jobs 5000] [--workers 2] [--concurrency 4] [--postgres]

Each run enqueues --jobs no-op jobs one by one (enqueue rate), deletes them, enqueues as many
with one ``api.enqueue_many`` call (bulk rate), then starts --workers ``run_jobs --burst``
processes and times until every job is SUCCESSFUL (drain rate). Prints median, min and max.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import ROOT, bench_database, configure_django  # noqa: E402


def one_run(args: argparse.Namespace, database_url: str) -> tuple[float, float, float]:
    from bench.noop_tasks import noop
    from django_jobs import api
    from django_jobs.models import Job

    Job.objects.all().delete()
    started = time.perf_counter()
    for n in range(args.jobs):
        noop.enqueue(n)
    enqueue_rate = args.jobs / (time.perf_counter() - started)
    Job.objects.all().delete()
    started = time.perf_counter()
    api.enqueue_many(noop, [((n,), {}) for n in range(args.jobs)])
    bulk_rate = args.jobs / (time.perf_counter() - started)

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JOBS_LOG_LEVEL": "WARNING",
        "DEBUG": "False",
    }
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "run_jobs",
        "--burst",
        "--concurrency",
        str(args.concurrency),
        "--no-scheduler",
    ]
    started = time.perf_counter()
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for _ in range(args.workers)
    ]
    for worker in workers:
        worker.wait()
    drain_rate = args.jobs / (time.perf_counter() - started)
    done = Job.objects.filter(status="SUCCESSFUL").count()
    if done != args.jobs:
        raise SystemExit(f"only {done} of {args.jobs} jobs succeeded")
    return enqueue_rate, bulk_rate, drain_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with bench_database(postgres=args.postgres) as url:
        configure_django(url)
        results = [one_run(args, url) for _ in range(args.runs)]
    label = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{label}: {args.jobs} jobs, {args.workers} workers x {args.concurrency} threads")
    print(f"{'figure':<20}{'median':>10}{'min':>10}{'max':>10}")
    for name, values in (
        ("enqueue jobs/s", [r[0] for r in results]),
        ("enqueue_many jobs/s", [r[1] for r in results]),
        ("drain jobs/s", [r[2] for r in results]),
    ):
        print(
            f"{name:<20}{statistics.median(values):>10.0f}{min(values):>10.0f}{max(values):>10.0f}"
        )


if __name__ == "__main__":
    main()
