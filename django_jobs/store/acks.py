"""Group commit for successful outcomes: many threads' acknowledgements in one transaction.

Each finished job needs one fenced UPDATE. Written one by one, a worker's
threads queue for the database's write lock (SQLite) or each pay a commit
(PostgreSQL). Here the first thread to arrive becomes the leader and writes
everything that is waiting in one transaction; threads arriving meanwhile wait,
and the leader writes their batch next. Alone, a thread writes at once, so a
quiet worker adds no latency; under load batches grow with the number of threads.
Every thread still learns whether its own write won the fence, before it returns.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django_jobs.models import Job

WriteMany = Callable[[Sequence[tuple[Job, Any]]], set[Any]]


@dataclass(slots=True)
class _Ack:
    job: Job
    value: Any
    done: threading.Event = field(default_factory=threading.Event)
    written: bool = False
    error: BaseException | None = None


class AckGroup:
    def __init__(self, write_many: WriteMany) -> None:
        """``write_many`` writes a batch in one transaction and returns the ids it wrote."""
        self._write_many = write_many
        self._lock = threading.Lock()
        self._pending: list[_Ack] = []
        self._leading = False

    def succeed(self, job: Job, value: Any) -> bool:
        """Record ``job`` as successful with ``value``; False when its lease was lost."""
        ack = _Ack(job, value)
        with self._lock:
            self._pending.append(ack)
            lead = not self._leading
            self._leading = True
        if lead:
            self._lead()
        else:
            ack.done.wait()
        if ack.error is not None:
            raise ack.error
        return ack.written

    def _lead(self) -> None:
        while True:
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._leading = False
                    return
            try:
                written = self._write_many([(ack.job, ack.value) for ack in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every thread of the batch
                for ack in batch:
                    ack.error = exc
            else:
                for ack in batch:
                    ack.written = ack.job.pk in written
            for ack in batch:
                ack.done.set()
