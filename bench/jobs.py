"""The job every benchmark runs: note its start in Redis, so all systems are timed alike.

``BENCH_REDIS_URL`` names the Redis that collects, in one round trip per job: the done
counter (``bench:done``), each job's process and start as "pid started_at" (``bench:ran``:
what a drain is timed on, ``measure.drain_rates``) and, for latency samples,
"enqueued_at started_at" pairs (``bench:starts``).
"""

import os
import threading
import time

import redis

_local = threading.local()


def client() -> redis.Redis:
    """This thread's own client: threads opening connections from one shared pool at once
    sometimes failed inside redis-py's handshake, and the failed job's retry then made
    the drain look seconds slower."""
    if not hasattr(_local, "client"):
        _local.client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    return _local.client


def mark(enqueued_at: float) -> None:
    """The no-op job: record that it ran, and when."""
    started = time.time()
    pipe = client().pipeline(transaction=False)
    pipe.rpush("bench:ran", f"{os.getpid()} {started}")
    pipe.incr("bench:done")
    if enqueued_at:
        pipe.rpush("bench:starts", f"{enqueued_at} {started}")
    pipe.execute()
