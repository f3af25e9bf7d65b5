"""What the store's statements cost back to back and after an idle gap, on PostgreSQL.

    .venv/bin/python bench/idle_statements.py [--samples 300] [--gap-ms 15]

The table's latency figures send one job every 15 ms into idle workers, so every step of a
job's path starts on a process that has just been asleep. This script times the steps
huey mode's path spends on PostgreSQL, in one process against a throwaway PostgreSQL 15
server on loopback: a job's ``INSERT`` (``insert_job``), a one-job claim by id (huey
mode's claim), ``SELECT 1`` (a round trip and nothing else), and, with no database at all,
building a job and adapting its values for the ``INSERT``. Each runs ``--samples`` times
back to back, then as often with a sleep of ``--gap-ms`` before each. Printed per step and
gap: the p50 of the wall time and of this thread's CPU time, in ms.
"""

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.database import bench_database, configure_django  # noqa: E402
from bench.measure import percentile  # noqa: E402


def timed(step: Callable[[], object], samples: int, gap: float) -> tuple[float, float]:
    """p50 of the wall and of the thread's CPU time of ``step``, in ms."""
    wall, cpu = [], []
    for _ in range(samples):
        if gap:
            time.sleep(gap)
        started, started_cpu = time.perf_counter(), time.thread_time()
        step()
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.thread_time() - started_cpu))
    return percentile(sorted(wall), 0.5), percentile(sorted(cpu), 0.5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--gap-ms", type=float, default=15.0)
    args = parser.parse_args(argv)
    gaps = (0.0, args.gap_ms / 1000)
    with bench_database(postgres=True) as url:
        configure_django(url)
        from django.db import connection
        from django.utils import timezone

        from django_jobs.models import Job
        from django_jobs.store import JobStore
        from django_jobs.store.inserts import insert_job

        store = JobStore()
        inserted: list[uuid.UUID] = []

        def new_job() -> Job:
            return Job(
                id=uuid.uuid4(),
                task_path="bench.noop_tasks.noop",
                args=[],
                kwargs={},
                backend_name="default",
                queue_name="default",
                run_after=timezone.now(),
            )

        def adapt() -> list[object]:
            job = new_job()
            return [
                field.get_db_prep_save(getattr(job, field.attname), connection)
                for field in Job._meta.concrete_fields
            ]

        def insert() -> None:
            job = new_job()
            insert_job("default", job)
            inserted.append(job.id)

        def claim() -> None:
            store.claim_by_id([inserted.pop()], worker_id="bench", lease_seconds=60)

        def select_one() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchall()

        steps = [
            ("a job built and adapted (no database)", adapt),
            ("SELECT 1", select_one),
            ("a job's INSERT", insert),
            ("a one-job claim by id", claim),
        ]
        insert_job("default", new_job())  # connection and statements warmed up
        results = {
            (label, gap): timed(step, args.samples, gap) for gap in gaps for label, step in steps
        }
    print(
        f"PostgreSQL 15 on loopback, one process; p50 of {args.samples} samples, ms; "
        f"{os.cpu_count()} CPUs"
    )
    headers = [f"{'back to back':>22}", f"{f'after {args.gap_ms:g} ms idle':>22}"]
    print(f"{'step':40} {headers[0]} {headers[1]}")
    print(f"{'':40} {'wall / CPU':>22} {'wall / CPU':>22}")
    for label, _ in steps:
        cells = [
            f"{results[label, gap][0]:.2f} / {results[label, gap][1]:.2f}".rjust(22) for gap in gaps
        ]
        print(f"{label:40} {cells[0]} {cells[1]}")


if __name__ == "__main__":
    main()
