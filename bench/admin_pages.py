"""Admin page times on a large job table: django-jobs' admin against Django's stock ModelAdmin.

    .venv/bin/python bench/admin_pages.py [--jobs 1000000] [--postgres] [--runs 5]

Seeds --jobs rows (90% successful, 5% failed, 3% due, 1% scheduled, 0.5% running,
0.5% cancelled; 6 queues, 20 tasks, 30 days of history), then requests each page
--runs times with Django's test client as a staff user and prints the median time
and the number of SQL queries. The stock admin is ``StockJobAdmin`` in
``bench/admin_urls.py``: field filters, ``date_hierarchy`` and the default paginator.
"""

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import bench_database, configure_django  # noqa: E402

QUEUES = ["default", "emails", "webhooks", "maintenance", "low", "high"]
TASKS = [f"shop.tasks.task_{n:02d}" for n in range(20)]
BATCH = 5_000


def status_of(n: int) -> str:
    slot = n % 200
    if slot < 180:
        return "SUCCESSFUL"
    if slot < 190:
        return "FAILED"
    if slot < 196:
        return "READY"  # due
    if slot < 198:
        return "SCHEDULED"
    return "RUNNING" if slot == 198 else "CANCELLED"


def seed(count: int) -> float:
    """Insert ``count`` jobs in batches; return the seconds it took."""
    from django_jobs.models import Job

    now = datetime.now(UTC)
    error = [{"exception_class_path": "builtins.ValueError", "traceback": "Traceback ...\n"}]
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, count)):
            status = status_of(n)
            enqueued = now - timedelta(seconds=(count - n) * 2_592_000 / count)
            finished = status in ("SUCCESSFUL", "FAILED", "CANCELLED")
            rows.append(
                Job(
                    id=uuid.uuid4(),
                    task_path=TASKS[n % len(TASKS)],
                    queue_name=QUEUES[n % len(QUEUES)],
                    backend_name="default",
                    status="READY" if status == "SCHEDULED" else status,
                    args=[n],
                    enqueued_at=enqueued,
                    run_after=now + timedelta(hours=1) if status == "SCHEDULED" else enqueued,
                    started_at=enqueued if status != "READY" else None,
                    last_attempted_at=enqueued if status != "READY" else None,
                    finished_at=enqueued + timedelta(seconds=1) if finished else None,
                    attempts=0 if status in ("READY", "SCHEDULED") else 1,
                    errors=error if status == "FAILED" else [],
                    worker_ids=["bench-worker"] if status != "READY" else [],
                    return_value=n if status == "SUCCESSFUL" else None,
                )
            )
        Job.objects.bulk_create(rows)
    return time.perf_counter() - started


def pages(job_id: str) -> list[tuple[str, str, str | None]]:
    """(what, our URL, stock URL or None where the stock admin has no such page)."""
    ours, stock = "/admin/django_jobs/job/", "/stock/django_jobs/job/"
    return [
        ("job list, first page", ours, stock),
        ("job list, page 50", f"{ours}?p=50", f"{stock}?p=50"),
        ("failed jobs", f"{ours}?state=failed", f"{stock}?status__exact=FAILED"),
        (
            "due jobs of one queue",
            f"{ours}?state=due&queue_name=emails",
            f"{stock}?status__exact=READY&queue_name__exact=emails",
        ),
        ("one task's jobs", f"{ours}?task_path={TASKS[3]}", f"{stock}?task_path__exact={TASKS[3]}"),
        ("search by id", f"{ours}?q={job_id}", f"{stock}?q={job_id}"),
        ("job page", f"{ours}{job_id}/change/", f"{stock}{job_id}/change/"),
        ("dashboard", "/admin/django_jobs/dashboard/", None),
        ("metrics scrape", "/jobs/metrics", None),
    ]


def measure(client, url: str, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return statistics.median(times) * 1000, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with bench_database(postgres=args.postgres) as url:
        configure_django(url)
        from django.contrib.auth.models import User
        from django.db import connection
        from django.test import Client, override_settings

        from django_jobs.models import Job

        seconds = seed(args.jobs)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE django_jobs_job")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        user = User.objects.create_superuser("bench", password=None)
        client = Client()
        client.force_login(user)
        job_id = str(Job.objects.filter(status="FAILED").values_list("pk", flat=True).first())
        label = "PostgreSQL 15" if args.postgres else "SQLite"
        print(f"\n{label}: {args.jobs:,} jobs seeded in {seconds:.0f} s; median of {args.runs}")
        print(f"{'page':<24}{'django-jobs ms':>16}{'queries':>9}{'stock ms':>12}{'queries':>9}")
        with override_settings(ROOT_URLCONF="bench.admin_urls", ALLOWED_HOSTS=["*"]):
            for what, ours, stock in pages(job_id):
                ms, queries = measure(client, ours, args.runs)
                line = f"{what:<24}{ms:>16.1f}{queries:>9}"
                if stock:
                    stock_ms, stock_queries = measure(client, stock, args.runs)
                    line += f"{stock_ms:>12.1f}{stock_queries:>9}"
                print(line, flush=True)


if __name__ == "__main__":
    main()
