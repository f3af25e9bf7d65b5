"""Record the jobs a block of code enqueues, in the order it enqueued them."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django_jobs.compat import Task, TaskResult, task_backends, task_enqueued

if TYPE_CHECKING:
    from django_jobs.models import Job


@dataclass(frozen=True, slots=True)
class CapturedJob:
    """One enqueued job, with its arguments as the worker will see them (after JSON)."""

    id: str
    task_path: str
    args: list[Any]
    kwargs: dict[str, Any]
    queue: str
    priority: int
    run_after: datetime | None
    backend: str

    @classmethod
    def from_result(cls, result: TaskResult) -> "CapturedJob":
        task = result.task
        return cls(
            id=result.id,
            task_path=task.module_path,
            args=result.args,
            kwargs=result.kwargs,
            queue=task.queue_name,
            priority=task.priority,
            run_after=task.run_after,
            backend=result.backend,
        )

    @classmethod
    def from_row(cls, job: "Job") -> "CapturedJob":
        return cls(
            id=str(job.pk),
            task_path=job.task_path,
            args=job.args,
            kwargs=job.kwargs,
            queue=job.queue_name,
            priority=job.priority,
            run_after=job.run_after,
            backend=job.backend_name,
        )

    def get_result(self) -> TaskResult:
        """The job's current state, read through its backend."""
        return task_backends[self.backend].get_result(self.id)

    def __str__(self) -> str:
        return f"{self.task_path}(args={self.args!r}, kwargs={self.kwargs!r}, queue={self.queue!r})"


class CapturedJobs(list[CapturedJob]):
    """The jobs seen by :func:`capture_jobs`: a list, plus a filter by task."""

    def for_task(self, task: Task | str) -> list[CapturedJob]:
        path = task if isinstance(task, str) else task.module_path
        return [job for job in self if job.task_path == path]


@contextmanager
def capture_jobs(backend: str | None = None) -> Iterator[CapturedJobs]:
    """Capture every job enqueued inside the block (on ``backend`` only, if given).

    Built on Django's ``task_enqueued`` signal rather than on ``Job`` rows created
    meanwhile: every backend sends it once per new job (a ``unique_key`` enqueue
    that returns the existing job sends none), in the enqueuing thread, before an
    immediate job runs and before a huey job is published on commit; so it sees
    the same jobs in all three modes, inside ``TestCase`` transactions, and with
    backends that write no rows. Rows would have to be told apart by a snapshot of
    every id (ids are random UUIDs) or by ``enqueued_at``, which breaks under a
    frozen clock.

    The signal reports calls to ``enqueue()``: a job whose transaction rolls back
    stays captured. To check what was stored, use ``assert_enqueued()`` without
    ``within``, which reads the ``Job`` table.
    """
    if backend is not None and backend not in task_backends.settings:
        raise ValueError(
            f"capture_jobs(backend={backend!r}): TASKS has no such backend; "
            f"configured: {', '.join(sorted(task_backends.settings))}."
        )
    captured = CapturedJobs()

    def record(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
        if backend is None or task_result.backend == backend:
            captured.append(CapturedJob.from_result(task_result))

    task_enqueued.connect(record, weak=False)
    try:
        yield captured
    finally:
        task_enqueued.disconnect(record)
