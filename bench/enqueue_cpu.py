"""What enqueue costs, one by one and in bulk: jobs/s, and where a bulk enqueue's time goes.

    .venv/bin/python bench/enqueue_cpu.py [--jobs 3000] [--bulk 5000] [--rounds 3]
                                          [--only huey-postgres ...]

For each setup, a process of its own on a fresh database enqueues ``--jobs`` of the table's
job one by one (``bench/side_by_side.py``'s enqueue figure), then ``--bulk`` in one
``enqueue_many`` (its bulk figure), ``--rounds`` times, each timed until the jobs are sent
(huey mode's publisher thread included). CPU is the process's own (``time.process_time``):
steadier than the rate while the machine's speed moves, and it leaves out the database
server, so it shows what the client side of an enqueue costs. A bulk enqueue is split into
the time until ``enqueue_many`` returns and the time until its jobs are sent, and counts
Python's full (generation 2) collections, which each cost tens of milliseconds.
"""

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import run_child  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402

if TYPE_CHECKING:
    from bench.system import System

SETUPS = {  # name: (mode, on PostgreSQL)
    "database-sqlite": ("database", False),
    "database-postgres": ("database", True),
    "huey-sqlite": ("huey", False),
    "huey-postgres": ("huey", True),
}


def measure(mode: str, jobs: int, bulk: int, rounds: int) -> list[dict]:
    """In the setup's own process: the figures of each round."""
    from bench.measure import enqueue_one_by_one
    from bench.peers.ours import Database, Huey

    system = Huey() if mode == "huey" else Database()
    system.setup()
    figures = []
    for _ in range(rounds):
        system.reset()
        rate, cpu = enqueue_one_by_one(system, jobs)
        system.reset()
        figures.append({"rate": rate, "cpu": cpu, **bulk_phases(system, bulk)})
    return figures


def bulk_phases(system: "System", jobs: int) -> dict:
    """One bulk enqueue: jobs/s, us per job until it returns and until sent, full collections."""
    full = [0]

    def count(phase: str, info: dict) -> None:
        full[0] += phase == "start" and info["generation"] == 2

    gc.callbacks.append(count)
    try:
        started = time.perf_counter()
        system.enqueue_bulk(jobs)
        returned = time.perf_counter()
        system.sent()
        sent = time.perf_counter()
    finally:
        gc.callbacks.remove(count)
    return {
        "bulk": jobs / (sent - started),
        "returned_us": 1e6 * (returned - started) / jobs,
        "sent_us": 1e6 * (sent - returned) / jobs,
        "full_collections": full[0],
    }


def run_setup(
    name: str, args: argparse.Namespace, redis: RedisServer, postgres: PostgresServer | None
) -> list:
    mode, on_postgres = SETUPS[name]
    child = ["--child", mode, "--jobs", str(args.jobs), "--bulk", str(args.bulk)]
    child += ["--rounds", str(args.rounds)]
    return run_child(__file__, child, mode, redis.url, postgres if on_postgres else None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3_000)
    parser.add_argument("--bulk", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=sorted(SETUPS), default=list(SETUPS))
    parser.add_argument("--child", choices=["database", "huey"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.jobs, args.bulk, args.rounds)))
        return
    redis = RedisServer().start()
    needs_postgres = any(SETUPS[name][1] for name in args.only)
    postgres = PostgresServer().start() if needs_postgres else None
    try:
        results = {name: run_setup(name, args, redis, postgres) for name in args.only}
    finally:
        redis.cleanup()
        if postgres is not None:
            postgres.cleanup()
    print(f"{args.jobs} jobs one by one, then {args.bulk} in bulk, {args.rounds} rounds; ", end="")
    print(f"{os.cpu_count()} CPUs; per round:")
    columns = [  # heading, figure, format
        ("jobs/s", "rate", ",.0f"),
        ("CPU us/job", "cpu", ".0f"),
        ("bulk jobs/s", "bulk", ",.0f"),
        ("bulk/one", None, ".1f"),
        ("us/job returned", "returned_us", ".1f"),
        ("+ sent", "sent_us", ".1f"),
        ("full GCs", "full_collections", "d"),
    ]
    print(f"{'setup':18}", *(f"{heading:>24}" for heading, *_ in columns))
    for name, figures in results.items():
        cells = []
        for _, key, spec in columns:
            values = [f["bulk"] / f["rate"] if key is None else f[key] for f in figures]
            cells.append(" / ".join(format(value, spec) for value in values))
        print(f"{name:18}", *(f"{cell:>24}" for cell in cells))


if __name__ == "__main__":
    main()
