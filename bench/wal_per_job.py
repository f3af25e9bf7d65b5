"""What a job writes on PostgreSQL: bytes of write-ahead log per job, enqueue and drain.

    .venv/bin/python bench/wal_per_job.py [--jobs 3000] [--rounds 2]

Every row, index entry and commit a job costs goes through PostgreSQL's write-ahead log,
so its size per job measures the server's write work (and what replicas and backups
receive) without the noise of timing it. For each setup, a process of its own on a fresh
database enqueues ``--jobs`` of the table's job one by one; then the setup's two worker
processes drain them and are stopped (a graceful stop, so batched acknowledgements are
written). The log's position is read before, between and after, ``--rounds`` times;
the server (``full_page_writes=off``) is otherwise idle. The raw SKIP LOCKED loop
(an id, a status and a payload, one partial index) is the floor.
"""

import argparse
import json
import sys
from pathlib import Path

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import loopback_servers, run_child  # noqa: E402

SETUPS = {  # name: (System class path, mode of the demo project)
    "raw SQL loop, SKIP LOCKED": ("bench.peers.raw_sql:RawSQL", "database"),
    "django-jobs database": ("bench.peers.ours:Database", "database"),
    "django-jobs huey, PostgreSQL history": ("bench.peers.ours:Huey", "huey"),
}


def log_position(url: str) -> int:
    """The server's current write-ahead log position, in bytes."""
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
    assert row is not None
    return int(row[0])


def measure(system_path: str, jobs: int, rounds: int) -> list[dict]:
    """In the setup's own process: bytes per job enqueued and drained, each round."""
    import importlib
    import os

    from bench.measure import wait_for_done
    from bench.workers import WorkerGroup

    module, name = system_path.split(":")
    system = getattr(importlib.import_module(module), name)()
    system.setup()
    url = os.environ["BENCH_DATABASE_URL"]
    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    figures = []
    for _ in range(rounds):
        system.reset()
        client.flushdb()
        start = log_position(url)
        for _ in range(jobs):
            system.enqueue(0.0)
        system.sent()
        enqueued = log_position(url)
        with WorkerGroup(system.worker_commands()) as workers:
            wait_for_done(client, jobs, workers, timeout=600.0)
        drained = log_position(url)
        figures.append({"enqueue": (enqueued - start) / jobs, "drain": (drained - enqueued) / jobs})
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.jobs, args.rounds)))
        return
    results = {}
    with loopback_servers(postgres=True) as (redis_server, postgres):
        for name, (system_path, mode) in SETUPS.items():
            child = ["--child", system_path, "--jobs", str(args.jobs), "--rounds", str(args.rounds)]
            results[name] = run_child(__file__, child, mode, redis_server.url, postgres)
    floor = sum(results[next(iter(SETUPS))][0].values())
    print(f"{args.jobs} jobs one by one, drained by 2 workers; WAL bytes per job, each round")
    print(f"{'setup':38} {'enqueue':>15} {'drain':>15} {'total':>15} {'x raw':>10}")
    for name, rounds in results.items():
        cells = [
            " / ".join(f"{figure[key]:.0f}" for figure in rounds) for key in ("enqueue", "drain")
        ]
        totals = [figure["enqueue"] + figure["drain"] for figure in rounds]
        cells.append(" / ".join(f"{total:.0f}" for total in totals))
        cells.append(" / ".join(f"{total / floor:.1f}" for total in totals))
        print(f"{name:38}", *(f"{cell:>15}" for cell in cells))


if __name__ == "__main__":
    main()
