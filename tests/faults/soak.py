"""Soak: minutes or hours of steady load while workers are killed, then an audit.

    python -m tests.faults.soak --mode database|huey --minutes N [--postgres]

Starts its own servers (PostgreSQL with ``--postgres``, Redis in huey mode) and a
fresh database, enqueues ``tests.tasks.drill`` jobs at a steady rate from this
process, runs two ``run_jobs`` processes, SIGKILLs a random one every 20-40 s
and starts another, and at the end drains, stops the workers with SIGTERM and
prints a table (see docs/faults.md). Exits 1 when a job was lost, ran twice
without a kill to explain it, or a worker crashed. Not a test module: pytest
never collects it.
"""

import argparse
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import django

SQLITE = "SQLite"
POSTGRES = "PostgreSQL"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.soak", description=__doc__)
    parser.add_argument("--mode", choices=["database", "huey"], required=True)
    parser.add_argument("--minutes", type=float, required=True)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--rate", type=float, default=20.0, help="jobs enqueued per second")
    parser.add_argument("--job-seconds", type=float, default=0.2, help="mean job duration")
    parser.add_argument("--lease", type=float, default=10.0, help="JOBS['LEASE_SECONDS']")
    return parser.parse_args(argv)


@contextlib.contextmanager
def servers(args: argparse.Namespace, directory: Path) -> Iterator[None]:
    """Start what the run needs and point the environment (hence the workers) at it."""
    from tests.servers.postgres import PostgresServer
    from tests.servers.redis import RedisServer

    with contextlib.ExitStack() as stack:
        if args.postgres:
            postgres = stack.enter_context(PostgresServer())
            os.environ["DATABASE_URL"] = fresh_postgres_database(postgres.url, "soak")
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{directory}/soak.sqlite3"
        if args.mode == "huey":
            redis = stack.enter_context(RedisServer())
            os.environ.update(JOBS_TEST_BACKEND="huey", REDIS_URL=redis.url)
        os.environ["JOBS_TEST_LEASE_SECONDS"] = str(args.lease)
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        yield


def fresh_postgres_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def run(args: argparse.Namespace, directory: Path) -> int:
    django.setup()
    from django.core.management import call_command

    from tests.faults.harness import Drill
    from tests.faults.load import SoakLoad, report

    call_command("migrate", verbosity=0)
    drill = Drill(directory / "ledger", redis_url=os.environ.get("REDIS_URL"), quiet=True)
    try:
        load = SoakLoad(drill, rate=args.rate, job_seconds=args.job_seconds)
        result = load.run(args.minutes)
    finally:
        drill.close()
    database = POSTGRES if args.postgres else SQLITE
    title = (
        f"Soak: {args.mode} mode on {database}, {args.minutes:g} min, {args.rate:g} jobs/s, "
        f"2 workers x 4 threads, lease {args.lease:g} s"
    )
    print(report(result, title))
    return 0 if result.clean else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl+C does, so servers and workers are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="django-jobs-soak-") as name, servers(args, Path(name)):
        return run(args, Path(name))


if __name__ == "__main__":
    sys.exit(main())
