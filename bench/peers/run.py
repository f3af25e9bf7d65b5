"""Measure one row inside its own virtualenv, a run at a time, as ``side_by_side.py`` asks.

    python -m bench.peers.run MODULE:CLASS [--jobs N] [--samples N] [--rss-marks N ...]

``MODULE:CLASS`` names a ``bench.system.System`` subclass under ``bench.peers``. The
servers come from the environment (``BENCH_REDIS_URL``, ``BENCH_DATABASE_URL``), set by
``bench/side_by_side.py``, which talks to this process as ``bench/row_process.py``
describes: each ``run`` (or ``rss``) line on stdin is answered by one line of figures.
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
from bench.row_process import READY, RESULT  # noqa: E402
from bench.system import System  # noqa: E402


def load(path: str) -> System:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(f"bench.peers.{module}"), name)()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system")
    parser.add_argument("--jobs", type=int, default=Plan.jobs)
    parser.add_argument("--samples", type=int, default=Plan.samples)
    parser.add_argument("--rss-marks", type=int, nargs="+", default=list(Plan.rss_marks))
    args = parser.parse_args()
    plan = Plan(jobs=args.jobs, samples=args.samples, rss_marks=tuple(args.rss_marks))
    system = load(args.system)
    system.setup()
    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"], decode_responses=True)
    print(READY, flush=True)
    for command in sys.stdin:
        figures = (
            rss_run(system, client, plan)
            if command.strip() == "rss"
            else one_run(system, client, plan)
        )
        print(RESULT + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
