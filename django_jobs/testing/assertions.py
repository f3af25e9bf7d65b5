"""``assert_enqueued`` / ``assert_not_enqueued``: mock-style assertions about jobs.

A failure lists the jobs that *were* enqueued for the task, so a wrong argument
or queue shows at a glance, as ``Mock.assert_called_with`` shows the calls.
"""

import inspect
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string

from django_jobs.compat import Task
from django_jobs.testing.capture import CapturedJob

LISTED = 20  # jobs listed in a failure message; the rest are counted


def assert_enqueued(
    task: Task | str,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    *,
    queue: str | None = None,
    count: int | None = None,
    within: Iterable[CapturedJob] | None = None,
) -> list[CapturedJob]:
    """Assert that ``task`` was enqueued with what is given; return the matching jobs.

    Only the given criteria are compared: ``args`` and ``kwargs`` as passed to
    ``enqueue()`` (after the JSON round trip, so a tuple equals a list), ``queue``
    by name. ``count`` asks for exactly that many matching jobs; without it, one
    or more will do. ``within`` is what ``capture_jobs()`` captured; without it
    the ``Job`` table is read, which holds the jobs of the current test under
    ``TestCase`` or pytest-django's ``db``.
    """
    query = _Query.build(task, args, kwargs, queue)
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        raise TypeError(f"count must be a whole number of jobs, got {count!r}.")
    if count is not None and count < 0:
        raise ValueError(f"count cannot be negative, got {count}.")
    source = _Source(within)
    jobs = source.jobs_of(query.path)
    matching = [job for job in jobs if query.matches(job)]
    if (count is None and matching) or len(matching) == count:
        return matching
    expected = "once or more" if count is None else _times(count)
    raise AssertionError(
        f"Expected {query.path} to be enqueued {expected}{query.described()}; "
        f"it was enqueued {_times(len(matching))}.\n" + source.report(query.path, jobs)
    )


def assert_not_enqueued(
    task: Task | str,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    *,
    queue: str | None = None,
    within: Iterable[CapturedJob] | None = None,
) -> None:
    """Assert that no job of ``task`` matching what is given was enqueued.

    The criteria and ``within`` mean what they mean for ``assert_enqueued()``.
    """
    query = _Query.build(task, args, kwargs, queue)
    source = _Source(within)
    matching = [job for job in source.jobs_of(query.path) if query.matches(job)]
    if matching:
        raise AssertionError(
            f"Expected {query.path} not to be enqueued{query.described()}; "
            f"it was enqueued {_times(len(matching))}.\n"
            + source.report(query.path, matching, heading="Matching jobs")
        )


@dataclass(frozen=True)
class _Query:
    path: str
    args: list[Any] | None
    kwargs: dict[str, Any] | None
    queue: str | None

    @classmethod
    def build(cls, task: Any, args: Any, kwargs: Any, queue: str | None) -> "_Query":
        if args is not None and (isinstance(args, str | bytes) or not isinstance(args, Sequence)):
            raise TypeError(f"args must be a list or tuple of positional arguments, got {args!r}.")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError(f"kwargs must be a dict of keyword arguments, got {kwargs!r}.")
        return cls(
            path=task_path(task),
            args=None if args is None else _as_stored(list(args), "args"),
            kwargs=None if kwargs is None else _as_stored(dict(kwargs), "kwargs"),
            queue=queue,
        )

    def matches(self, job: CapturedJob) -> bool:
        return (
            (self.args is None or job.args == self.args)
            and (self.kwargs is None or job.kwargs == self.kwargs)
            and (self.queue is None or job.queue == self.queue)
        )

    def described(self) -> str:
        given = [(name, getattr(self, name)) for name in ("args", "kwargs", "queue")]
        parts = [f"{name}={value!r}" for name, value in given if value is not None]
        return f" with {', '.join(parts)}" if parts else ""


class _Source:
    """Where the jobs come from: what ``capture_jobs`` captured, or the ``Job`` table."""

    def __init__(self, within: Iterable[CapturedJob] | None) -> None:
        if within is not None and not isinstance(within, Iterable):
            raise TypeError(f"within must be what capture_jobs() captured, got {within!r}.")
        self.captured = None if within is None else list(within)
        self.name = "the Job table" if within is None else "captured"

    def jobs_of(self, path: str) -> list[CapturedJob]:
        if self.captured is not None:
            return [job for job in self.captured if job.task_path == path]
        from django_jobs.models import Job

        rows = Job.objects.filter(task_path=path).order_by("enqueued_at", "pk")
        return [CapturedJob.from_row(row) for row in rows]

    def report(self, path: str, jobs: list[CapturedJob], heading: str = "") -> str:
        heading = heading or f"Jobs of {path}"
        lines = [f"{heading} ({self.name}): {len(jobs) or 'none'}"]
        lines += [f"  {job}" for job in jobs[:LISTED]]
        if len(jobs) > LISTED:
            lines.append(f"  ... and {len(jobs) - LISTED} more")
        others = self._other_tasks(path)
        if others:
            lines.append("Other tasks enqueued: " + ", ".join(f"{p} ({n})" for p, n in others))
        return "\n".join(lines)

    def _other_tasks(self, path: str) -> list[tuple[str, int]]:
        if self.captured is not None:
            counts = Counter(job.task_path for job in self.captured if job.task_path != path)
            return sorted(counts.items())
        from django.db.models import Count

        from django_jobs.models import Job

        rows = Job.objects.exclude(task_path=path).values("task_path").annotate(n=Count("pk"))
        return sorted((row["task_path"], row["n"]) for row in rows.order_by())


def task_path(task: Any) -> str:
    """The dotted path jobs of ``task`` are stored under; refuse what is not a task."""
    if isinstance(task, Task):
        return task.module_path
    if isinstance(task, str):
        try:
            found = import_string(task)
        except ImportError as exc:
            raise TypeError(f"{task!r} does not name an importable task: {exc}") from exc
        if isinstance(found, Task):
            return found.module_path
        raise TypeError(f"{task!r} names a {type(found).__name__}, not a task.")
    hint = " (decorate it with @task)" if inspect.isfunction(task) else ""
    raise TypeError(
        f"Expected a task or its dotted path, got {type(task).__name__} {task!r}{hint}."
    )


def _as_stored(value: Any, name: str) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be JSON values, as stored jobs hold: {exc}") from exc


def _times(n: int) -> str:
    return {0: "0 times", 1: "once"}.get(n, f"{n} times")
