"""How long retention takes to prune a large job table.

    .venv/bin/python bench/prune.py [--jobs 200000] [--postgres]

Seeds --jobs rows as ``bench/admin_pages.py`` does (30 days of history, 90% successful,
5% failed, 0.5% cancelled), then runs ``api.prune()`` with the default retention (a day
of successful jobs, a week of failed and cancelled ones) and prints what it deleted and
how long that took, in batches of 500 as the hourly task deletes them.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.admin_pages import seed  # noqa: E402
from bench.database import bench_database, configure_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with bench_database(postgres=args.postgres) as url:
        configure_django(url)
        from django.db import connection

        from django_jobs import api

        seeded = seed(args.jobs)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        started = time.perf_counter()
        deleted = api.prune()
        seconds = time.perf_counter() - started
        total = sum(deleted.values())
        label = "PostgreSQL 15" if args.postgres else "SQLite"
        print(f"{label}: {args.jobs:,} jobs seeded in {seeded:.0f} s")
        rate = total / seconds
        print(f"pruned {total:,} jobs ({deleted}) in {seconds:.1f} s: {rate:,.0f} jobs/s")


if __name__ == "__main__":
    main()
