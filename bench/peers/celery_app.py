"""The benchmark job as a Celery task on Redis, with no result backend."""

import os

from celery import Celery

from bench.jobs import mark

app = Celery("bench", broker=os.environ["BENCH_REDIS_URL"])
app.conf.update(
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name="bench.mark")
def bench_job(enqueued_at: float) -> None:
    mark(enqueued_at)
