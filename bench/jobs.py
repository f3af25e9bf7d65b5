"""The job every benchmark runs: note its start in Redis, so all systems are timed alike.

``BENCH_REDIS_URL`` names the Redis that collects start times (``bench:starts``, a list
of "enqueued_at started_at" pairs) and the done counter (``bench:done``).
"""

import os
import time
from functools import cache

import redis


@cache
def client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])


def mark(enqueued_at: float) -> None:
    started = time.time()
    pipe = client().pipeline(transaction=False)
    pipe.incr("bench:done")
    if enqueued_at:
        pipe.rpush("bench:starts", f"{enqueued_at} {started}")
    pipe.execute()
