"""``JobTask``: Django's ``Task`` plus retry, timeout and uniqueness options.

Our backends set ``task_class = JobTask``, so Django 6.1's ``@task(max_attempts=3)``
builds one directly; :func:`task` offers the same signature on every Django line.
"""

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, overload

from django_jobs.compat import (
    DEFAULT_TASK_BACKEND_ALIAS,
    DEFAULT_TASK_PRIORITY,
    DEFAULT_TASK_QUEUE_NAME,
    TASK_MAX_PRIORITY,
    TASK_MIN_PRIORITY,
    InvalidTask,
    Task,
    task_backends,
)
from django_jobs.conf import JobsSettings
from django_jobs.exceptions import InvalidJobOptions
from django_jobs.payload import text_problem
from django_jobs.retry import RetryPolicy

UNIQUE_KEY_MAX_LENGTH = 255
QUEUE_NAME_MAX_LENGTH = 100  # the Job.queue_name column
MAX_ATTEMPTS_LIMIT = 2**31 - 1  # the Job.max_attempts column on every database
OPTION_NAMES = ("max_attempts", "backoff", "retry_on", "timeout", "unique_key")


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass(frozen=True, slots=True, kw_only=True)
class JobTask(Task):
    """A Task whose jobs retry, time out and deduplicate as their options say.

    ``None`` means "the project default from ``JOBS``" (or no timeout/key).
    """

    max_attempts: int | None = None
    backoff: float | None = None
    retry_on: tuple[type[BaseException], ...] | None = None
    timeout: float | None = None
    unique_key: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.retry_on, type):
            object.__setattr__(self, "retry_on", (self.retry_on,))
        elif isinstance(self.retry_on, list):
            object.__setattr__(self, "retry_on", tuple(self.retry_on))
        Task.__post_init__(self)

    def using(
        self,
        *,
        priority: int | None = None,
        queue_name: str | None = None,
        run_after: datetime | None = None,
        backend: str | None = None,
        max_attempts: int | None = None,
        backoff: float | None = None,
        retry_on: tuple[type[BaseException], ...] | type[BaseException] | None = None,
        timeout: float | None = None,
        unique_key: str | None = None,
    ) -> "JobTask":
        """A copy with other defaults for one call, e.g. ``.using(unique_key=...)``."""
        changes: dict[str, Any] = {
            name: value
            for name, value in {
                "priority": priority,
                "queue_name": queue_name,
                "run_after": run_after,
                "backend": backend,
                "max_attempts": max_attempts,
                "backoff": backoff,
                "retry_on": retry_on,
                "timeout": timeout,
                "unique_key": unique_key,
            }.items()
            if value is not None
        }
        return replace(self, **changes)

    def retry_policy(self, jobs_settings: JobsSettings) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts or jobs_settings.MAX_ATTEMPTS,
            backoff=jobs_settings.BACKOFF if self.backoff is None else self.backoff,
            cap=jobs_settings.BACKOFF_MAX,
            jitter=jobs_settings.BACKOFF_JITTER,
            retry_on=self.retry_on,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _storable_string(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length and not text_problem(value)


def field_problems(task: Task) -> list[str]:
    """Sentences for Django's own fields of the wrong type.

    Django's check compares ``priority`` with ``<``, looks ``queue_name`` up in a set
    and calls ``run_after.utcoffset()``: a string, a list or a date there would
    escape as a TypeError or AttributeError instead of a sentence.
    """
    problems = []
    priority = task.priority
    if not (
        _is_number(priority)
        and priority == int(priority)
        and TASK_MIN_PRIORITY <= priority <= TASK_MAX_PRIORITY
    ):
        problems.append(
            f"priority must be a whole number between {TASK_MIN_PRIORITY} and "
            f"{TASK_MAX_PRIORITY}, got: {priority!r}"
        )
    if not _storable_string(task.queue_name, QUEUE_NAME_MAX_LENGTH):
        problems.append(
            f"queue_name must be a non-empty string of at most {QUEUE_NAME_MAX_LENGTH} "
            f"characters, got: {task.queue_name!r}"
        )
    if task.run_after is not None and (problem := _run_after_problem(task.run_after)):
        problems.append(problem)
    return problems


def _run_after_problem(run_after: Any) -> str | None:
    if not isinstance(run_after, datetime):
        return f"run_after must be an aware datetime, got: {run_after!r}"
    if run_after.utcoffset() is None:
        return None  # naive: Django's own check says so
    try:
        run_after.astimezone(UTC)
    except OverflowError:
        return (
            "run_after must be an aware datetime within the years 1 to 9999 in UTC, "
            f"got: {run_after!r}"
        )
    return None


def validate_fields(task: Task) -> None:
    if problems := field_problems(task):
        raise InvalidTask("; ".join(problems))


def option_problems(task: JobTask) -> list[str]:
    """Sentences describing every invalid option on ``task``."""
    problems = []
    if task.max_attempts is not None and (
        not isinstance(task.max_attempts, int)
        or isinstance(task.max_attempts, bool)
        or not 1 <= task.max_attempts <= MAX_ATTEMPTS_LIMIT
    ):
        problems.append(
            f"max_attempts must be a whole number from 1 to {MAX_ATTEMPTS_LIMIT}, "
            f"got: {task.max_attempts!r}"
        )
    if task.backoff is not None and (not _is_number(task.backoff) or task.backoff < 0):
        problems.append(f"backoff must be a finite number of seconds >= 0, got: {task.backoff!r}")
    if task.timeout is not None and (
        not _is_number(task.timeout) or not 0 < task.timeout <= threading.TIMEOUT_MAX
    ):
        problems.append(
            f"timeout must be a positive, finite number of seconds, got: {task.timeout!r}"
        )
    if task.retry_on is not None and not (
        isinstance(task.retry_on, tuple)
        and task.retry_on
        and all(isinstance(c, type) and issubclass(c, BaseException) for c in task.retry_on)
    ):
        problems.append(f"retry_on must be exception classes, got: {task.retry_on!r}")
    elif task.retry_on and any("<locals>" in class_path(c) for c in task.retry_on):
        problems.append("retry_on classes must be defined at module level")
    if task.unique_key is not None and not _storable_string(task.unique_key, UNIQUE_KEY_MAX_LENGTH):
        problems.append(
            f"unique_key must be a non-empty string of at most {UNIQUE_KEY_MAX_LENGTH} "
            f"characters, without NUL or lone surrogates, got: {task.unique_key!r}"
        )
    return problems


def validate_options(task: Task) -> None:
    if isinstance(task, JobTask) and (problems := option_problems(task)):
        raise InvalidJobOptions("; ".join(problems))


@overload
def task(function: Callable[..., Any], /) -> JobTask: ...
@overload
def task(
    *,
    priority: int = ...,
    queue_name: str = ...,
    backend: str = ...,
    takes_context: bool = ...,
    **options: Any,
) -> Callable[[Callable[..., Any]], JobTask]: ...


def task(
    function: Callable[..., Any] | None = None,
    *,
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: bool = False,
    **options: Any,
) -> JobTask | Callable[[Callable[..., Any]], JobTask]:
    """Django's ``@task`` with our options, on every supported Django line.

    ``@django_jobs.task(queue_name="emails", max_attempts=5)`` works on Django 6.0,
    whose own ``@task`` accepts no extra options.
    """
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if "run_after" in unknown:
        raise TypeError("run_after cannot be set with @task; use .using(run_after=...).")
    if unknown:
        raise TypeError(f"task() got unknown options {unknown}; known: {list(OPTION_NAMES)}")

    def wrapper(func: Callable[..., Any]) -> JobTask:
        task_class = task_backends[backend].task_class
        if options and not issubclass(task_class, JobTask):
            raise InvalidJobOptions(
                f"Backend {backend!r} does not accept {sorted(options)}: "
                "configure it with a django_jobs backend."
            )
        return task_class(  # type: ignore[return-value]  # a JobTask whenever options are given
            func=func,
            priority=priority,
            queue_name=queue_name,
            backend=backend,
            takes_context=takes_context,
            run_after=None,
            **options,
        )

    return wrapper(function) if function is not None else wrapper
