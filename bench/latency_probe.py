"""``manage.py run_jobs`` in huey mode that notes when each job passes each step.

Run by ``bench/latency_path.py``, with ``run_jobs``' options as its arguments. For each
job the worker claims, it notes when the message woke the worker (``BZPOPMIN`` returned
it), when its claim started and ended (reading the message, then the claim's statement),
and when a pool thread took the job; a daemon thread sends these, keyed by the job's
``enqueued_at`` argument, to the Redis list ``LATENCY_KEY`` every ``FLUSH_EVERY`` seconds,
off the jobs' path.
"""

import os
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LATENCY_KEY = "bench:latency_path"
FLUSH_EVERY = 0.2


class Notes:
    """Each job's step times, sent to Redis by a daemon thread."""

    def __init__(self, redis_url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.woken_at = 0.0  # when waiting last returned a message
        self.claimed: dict[Any, tuple[float, ...]] = {}  # job id -> (woken, claim start, end)
        self.ready: deque[str] = deque()  # appends and pops are atomic across threads
        threading.Thread(target=self._flush, name="latency-notes", daemon=True).start()

    def _flush(self) -> None:
        while True:
            time.sleep(FLUSH_EVERY)
            lines = [self.ready.popleft() for _ in range(len(self.ready))]
            if lines:
                self.client.rpush(LATENCY_KEY, *lines)


def install(notes: Notes) -> None:
    """Wrap the worker's wait, claim and hand-over to its pool with time notes."""
    from django_jobs.worker.huey_queues import QueueReader
    from django_jobs.worker.huey_runner import HueyWorker

    wait, claim, run_one = QueueReader.wait, HueyWorker._claim_messages, HueyWorker._run_one

    def noted_wait(reader: QueueReader, *args: Any, **kwargs: Any) -> None:
        held = len(reader.held)
        wait(reader, *args, **kwargs)
        if len(reader.held) > held:
            notes.woken_at = time.time()

    def noted_claim(worker: HueyWorker, messages: list) -> list:
        started = time.time()
        jobs = claim(worker, messages)
        ended = time.time()
        woken = notes.woken_at if notes.woken_at <= started else started
        for job in jobs:
            notes.claimed[job.pk] = (woken, started, ended)
        return jobs

    def noted_run_one(worker: HueyWorker, job: Any) -> Any:
        taken = time.time()
        steps = notes.claimed.pop(job.pk, None)
        if steps is not None and job.args:
            notes.ready.append(" ".join(map(repr, (job.args[0], *steps, taken))))
        return run_one(worker, job)

    QueueReader.wait = noted_wait  # type: ignore[method-assign,assignment]
    HueyWorker._claim_messages = noted_claim  # type: ignore[method-assign,assignment]
    HueyWorker._run_one = noted_run_one  # type: ignore[method-assign,assignment]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    install(Notes(os.environ["BENCH_REDIS_URL"]))
    call_command("run_jobs", *sys.argv[1:])


if __name__ == "__main__":
    main()
