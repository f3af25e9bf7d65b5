"""The Redis limit: LPUSH one small message per job, workers BRPOP it and run the job.

    python -m bench.peers.raw_redis       # one worker process (the row starts two)

No serialisation beyond a float, no acknowledgement, no retry: what any Redis-backed
queue costs at least.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import redis  # noqa: E402

from bench.jobs import mark  # noqa: E402
from bench.system import System, python  # noqa: E402

KEY = "bench:raw"


class RawRedis(System):
    def setup(self) -> None:
        self.client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])

    def enqueue(self, enqueued_at: float) -> None:
        self.client.lpush(KEY, repr(enqueued_at))

    def enqueue_bulk(self, count: int) -> bool:
        self.client.lpush(KEY, *["0.0"] * count)
        return True

    def worker_command(self) -> list[str]:
        return [python(), "-m", "bench.peers.raw_redis"]


def work() -> None:
    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    while True:
        item = client.brpop([KEY], timeout=1)
        if item is not None:
            mark(float(item[1]))


if __name__ == "__main__":
    work()
