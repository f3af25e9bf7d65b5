"""Measure one row inside its own virtualenv and write the runs as JSON.

    python -m bench.peers.run MODULE:CLASS --out FILE [--jobs N] [--runs N] [--samples N] [--rss]

``MODULE:CLASS`` names a ``bench.system.System`` subclass under ``bench.peers``. The
servers come from the environment (``BENCH_REDIS_URL``, ``BENCH_DATABASE_URL``), set by
``bench/side_by_side.py``, which also reads the JSON and prints the table.
"""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.measure import Plan, one_run, rss_run  # noqa: E402
from bench.system import System  # noqa: E402


def load(path: str) -> System:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(f"bench.peers.{module}"), name)()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system")
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=Plan.jobs)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=Plan.samples)
    parser.add_argument("--rss", action="store_true", help="measure worker memory instead")
    parser.add_argument("--rss-marks", type=int, nargs="+", default=list(Plan.rss_marks))
    args = parser.parse_args()
    plan = Plan(jobs=args.jobs, samples=args.samples, rss_marks=tuple(args.rss_marks))
    system = load(args.system)
    system.setup()
    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"], decode_responses=True)
    if args.rss:
        runs = [rss_run(system, client, plan)]
    else:
        runs = [one_run(system, client, plan) for _ in range(args.runs)]
    Path(args.out).write_text(json.dumps({"name": system.name, "runs": runs}))


if __name__ == "__main__":
    main()
