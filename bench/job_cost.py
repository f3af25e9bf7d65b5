"""What the benchmark job costs by itself: its Redis round trip, without any job system.

    .venv/bin/python bench/job_cost.py [--calls 20000]

Every row of ``side_by_side.py`` runs ``bench.jobs.mark``, one pipelined round trip to a
loopback Redis. This calls it ``--calls`` times from one thread, then from 4 threads of one
process (as a 4-thread worker runs jobs), against a redis-server of its own, and prints the
CPU time and wall time per call. The CPU per call is a floor under every row's CPU per job:
a drain of 2 processes on 2 cores cannot pass 2 cores divided by it.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.redis import RedisServer  # noqa: E402

THREADS = (1, 4)


def cost(threads: int, calls: int) -> tuple[float, float]:
    """CPU and wall microseconds per ``mark()`` call, ``calls`` split over ``threads``."""
    from bench.jobs import mark

    def run() -> None:
        for _ in range(calls // threads):
            mark(0.0)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    cpu, wall = time.process_time(), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done = threads * (calls // threads)
    return (
        1e6 * (time.process_time() - cpu) / done,
        1e6 * (time.perf_counter() - wall) / done,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args(argv)
    server = RedisServer().start()
    try:
        os.environ["BENCH_REDIS_URL"] = server.url
        cost(1, 500)  # connections opened, code warm
        rows = [(threads, *cost(threads, args.calls)) for threads in THREADS]
    finally:
        server.cleanup()
    print(f"bench.jobs.mark, {args.calls} calls; {os.cpu_count()} CPUs")
    print(f"{'threads':>7} {'CPU us/call':>12} {'wall us/call':>13}")
    for threads, cpu, wall in rows:
        print(f"{threads:7d} {cpu:12.1f} {wall:13.1f}")


if __name__ == "__main__":
    main()
