"""What one-by-one enqueue costs: jobs/s and the enqueueing process's CPU per job.

    .venv/bin/python bench/enqueue_cpu.py [--jobs 3000] [--rounds 3] [--only huey-postgres ...]

For each setup, a process of its own on a fresh database enqueues ``--jobs`` of the table's
job one by one (``bench/side_by_side.py``'s enqueue figure), ``--rounds`` times, each round
timed until the jobs are sent (huey mode's publisher thread included). CPU is the process's
own (``time.process_time``): steadier than the rate while the machine's speed moves, and
it leaves out the database server, so it shows what the client side of an enqueue costs.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.database import ROOT, demo_project_env  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402

SETUPS = {  # name: (mode, on PostgreSQL)
    "database-sqlite": ("database", False),
    "database-postgres": ("database", True),
    "huey-sqlite": ("huey", False),
    "huey-postgres": ("huey", True),
}


def measure(mode: str, jobs: int, rounds: int) -> list[tuple[float, float]]:
    """In the setup's own process: (jobs/s, CPU us per job) of each round."""
    from bench.measure import enqueue_one_by_one
    from bench.peers.ours import Database, Huey

    system = Huey() if mode == "huey" else Database()
    system.setup()
    figures = []
    for _ in range(rounds):
        system.reset()
        figures.append(enqueue_one_by_one(system, jobs))
    return figures


def run_setup(
    name: str, args: argparse.Namespace, redis: RedisServer, postgres: PostgresServer | None
) -> list:
    mode, on_postgres = SETUPS[name]
    env = demo_project_env(mode, redis.url, postgres if on_postgres else None)
    env |= {"BENCH_REDIS_URL": redis.url, "BENCH_DATABASE_URL": env["DATABASE_URL"]}
    child = [sys.executable, str(Path(__file__).resolve()), "--child", mode]
    child += ["--jobs", str(args.jobs), "--rounds", str(args.rounds)]
    done = subprocess.run(child, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=sorted(SETUPS), default=list(SETUPS))
    parser.add_argument("--child", choices=["database", "huey"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.jobs, args.rounds)))
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
    print(f"{args.jobs} jobs enqueued one by one, {args.rounds} rounds; {os.cpu_count()} CPUs")
    print(f"{'setup':18} {'jobs/s per round':>26} {'CPU us per job':>20}")
    for name, figures in results.items():
        rates = " / ".join(f"{rate:,.0f}" for rate, _ in figures)
        cpus = " / ".join(f"{cpu:.0f}" for _, cpu in figures)
        print(f"{name:18} {rates:>26} {cpus:>20}")


if __name__ == "__main__":
    main()
