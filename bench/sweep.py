"""What one huey-mode outbox sweep costs as the backlog of queued jobs grows.

    .venv/bin/python bench/sweep.py [--backlogs 1000 10000 100000] [--postgres]

Every huey-mode worker sweeps once per heartbeat: it publishes the jobs Redis never
got (the outbox) and republishes those whose message was lost (their queue is empty
on Redis). In a healthy system there is nothing to do, so a sweep should cost the
same whatever the backlog. For each backlog size this seeds that many due jobs,
published and waiting on Redis, plus as many scheduled an hour ahead, then times
``HueyBackend.sweep()`` (median of 5) and counts the Redis commands it sends.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import bench_database, configure_django  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402

ROUNDS = 5
BATCH = 5_000


def seed(count: int, *, delay: float = 0.0) -> None:
    """``count`` no-op jobs, published (on Redis), due now or ``delay`` seconds ahead."""
    from datetime import timedelta

    from django.utils import timezone

    from bench.noop_tasks import noop
    from django_jobs import api
    from django_jobs.backends.huey import process_publisher

    task = noop.using(run_after=timezone.now() + timedelta(seconds=delay)) if delay else noop
    for start in range(0, count, BATCH):
        api.enqueue_many(task, [((), {})] * min(BATCH, count - start))
    process_publisher.flush()
    spread_enqueue_times()


# Jobs enqueued one by one each have their own enqueue time; a batch's share one.
SPREAD = {
    "sqlite": "UPDATE django_jobs_job SET enqueued_at = strftime('%Y-%m-%d %H:%M:%f', "
    "enqueued_at, '-' || ((abs(random()) % 600000) / 1000.0) || ' seconds')",
    "postgresql": "UPDATE django_jobs_job SET enqueued_at = "
    "enqueued_at - random() * interval '10 minutes'",
}


def spread_enqueue_times() -> None:
    """The backlog's enqueue times spread over ten minutes, as one-by-one enqueues leave them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SPREAD[connection.vendor])  # no parameters: % is literal


def redis_commands(client: Any) -> int:
    return sum(stats["calls"] for stats in client.info("commandstats").values())


def time_sweeps(client: Any) -> tuple[float, int]:
    """Median ms of ``ROUNDS`` sweeps, and the Redis commands of one."""
    from django_jobs.backends.base import jobs_backend
    from django_jobs.backends.huey import HueyBackend
    from django_jobs.store import JobStore

    backend, store = jobs_backend("default"), JobStore()
    if not isinstance(backend, HueyBackend):
        raise RuntimeError(f"the default backend is {type(backend).__name__}, not huey mode's")
    seconds = []
    for _ in range(ROUNDS):
        before = redis_commands(client)
        started = time.perf_counter()
        sent = backend.sweep(store)
        seconds.append(time.perf_counter() - started)
        commands = redis_commands(client) - before - 1  # the INFO call itself
        if sent:
            raise RuntimeError(f"a sweep of a healthy backlog published {sent} job(s)")
    return 1000 * statistics.median(seconds), commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlogs", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    redis = RedisServer().start()
    try:
        os.environ |= {"JOBS_BACKEND": "huey", "REDIS_URL": redis.url}
        with bench_database(postgres=args.postgres) as url:
            configure_django(url)
            import redis as redis_py
            from django.db import connection

            client = redis_py.Redis.from_url(redis.url)
            rows, seeded = [], 0
            for backlog in args.backlogs:
                seed(backlog - seeded)
                seed(backlog - seeded, delay=3600)
                seeded = backlog
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
                rows.append((backlog, *time_sweeps(client)))
    finally:
        redis.cleanup()
    label = "PostgreSQL 15" if args.postgres else "SQLite"
    print(f"huey mode, {label} history: one outbox sweep, median of {ROUNDS}")
    print(f"{'due jobs':>10} {'scheduled':>10} {'sweep ms':>9} {'Redis commands':>15}")
    for backlog, ms, commands in rows:
        print(f"{backlog:>10,} {backlog:>10,} {ms:>9.1f} {commands:>15,}")


if __name__ == "__main__":
    main()
