"""The benchmark job on raw huey (RedisHuey, no Django), the baseline for huey mode."""

import os

from huey import RedisHuey

from bench.jobs import mark

huey = RedisHuey("bench-raw", url=os.environ["BENCH_REDIS_URL"], results=False)


@huey.task()
def bench_job(enqueued_at: float) -> None:
    mark(enqueued_at)
