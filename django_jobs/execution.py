"""Run one claimed job and record its outcome: the only code that calls task functions.

Every mode goes through :func:`run_job`: resolve the stored path to a Task,
call it (sync or async, with context and timeout), decide about a retry, write
exactly one fenced outcome, and send Django's signals.
"""

import enum
import json
import logging
from inspect import iscoroutinefunction
from typing import Any

from asgiref.sync import async_to_sync
from django.utils.module_loading import import_string

from django_jobs.compat import (
    InvalidTaskBackend,
    Task,
    TaskContext,
    TaskResult,
    task_backends,
    task_finished,
    task_started,
)
from django_jobs.conf import get_settings
from django_jobs.exceptions import InvalidPayload, JobCancelled, PermanentFailure, UnknownTask
from django_jobs.models import Job
from django_jobs.payload import bind_arguments, encode
from django_jobs.retry import RetryPolicy, decide
from django_jobs.store import JobStore
from django_jobs.store.results import (
    resolve_task,
    succeeded_result,
    task_for_job,
    task_result,
)
from django_jobs.timeouts import call_async, call_sync

logger = logging.getLogger("django_jobs")


class Outcome(enum.Enum):
    # Written, or handed to the store's group commit, which sends ``task_finished`` once the
    # batch is written and logs a success that lost its lease instead.
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    FAILED = "failed"
    CANCELLED = "cancelled"  # an operator cancelled it while it ran
    DISCARDED = "discarded"  # the run lost its lease; another run owns the job now


def run_job(job: Job, store: JobStore) -> Outcome:
    """Run a job that ``store`` has claimed (status RUNNING) and record what happened."""
    try:
        task = resolve_task(job.task_path)
        _check_arguments(task, job)
    except (UnknownTask, InvalidPayload) as exc:
        logger.error("Job %s: %s", job.pk, exc)
        return Outcome.FAILED if store.fail(job, exc) else Outcome.DISCARDED
    job_task = task_for_job(job, task)
    result = task_result(job, job_task)
    sender = _signal_sender(job.backend_name)
    task_started.send(sender=sender, task_result=result)
    try:
        value = _jsonable(_call(task, job, result))
    except KeyboardInterrupt:
        raise
    except JobCancelled as exc:
        logger.info("Job %s was cancelled while running", job.pk)
        if not store.cancelled(job, exc):
            return Outcome.DISCARDED
        task_finished.send(sender=sender, task_result=task_result(job, job_task))
        return Outcome.CANCELLED
    except BaseException as exc:  # noqa: BLE001 - a task's SystemExit must not stop the worker
        return _record_failure(job, job_task, exc, store, sender)
    recorded: list[bool] = []

    def finished(written: bool) -> None:  # noqa: FBT001 - the store's ``then`` callback
        recorded.append(written)
        if written:
            task_finished.send(sender=sender, task_result=succeeded_result(result, job))

    store.succeed_then(job, value, finished)
    return Outcome.DISCARDED if recorded == [False] else Outcome.SUCCEEDED


def _check_arguments(task: Task, job: Job) -> None:
    """Stored arguments that cannot bind would fail every attempt alike: fail the job once.

    ``enqueue()`` checked them, but a row can be written by other means, and a string
    stored as ``args`` would otherwise be spread into one argument per character.
    """
    if not isinstance(job.args, list):
        raise InvalidPayload(f"stored arguments must be a list, got a {type(job.args).__name__}")
    if not isinstance(job.kwargs, dict):
        raise InvalidPayload(
            f"stored keyword arguments must be a dict, got a {type(job.kwargs).__name__}"
        )
    bind_arguments(task.func, job.args, job.kwargs, takes_context=task.takes_context)


def _call(task: Task, job: Job, result: TaskResult) -> Any:
    args = list(job.args)
    if task.takes_context:
        args.insert(0, TaskContext(task_result=result))
    if iscoroutinefunction(task.func):
        return async_to_sync(call_async)(task.func(*args, **job.kwargs), job.timeout)
    return call_sync(lambda: task.func(*args, **job.kwargs), job.timeout, job.pk)


def _jsonable(value: Any) -> Any:
    # Lenient about int keys (they become strings), strict about what a database refuses:
    # a result it cannot store would otherwise leave the job RUNNING until its lease ends.
    try:
        return json.loads(encode(value, string_keys=False))
    except (TypeError, ValueError) as exc:
        raise PermanentFailure(f"return value is not JSON-serialisable: {exc}") from exc


def _record_failure(
    job: Job, job_task: Task, exc: BaseException, store: JobStore, sender: Any
) -> Outcome:
    decision = decide(retry_policy(job), exc, job.attempts)
    if decision is not None:
        logger.info(
            "Job %s attempt %d failed (%r); retrying in %.1fs",
            job.pk,
            job.attempts,
            exc,
            decision.delay,
        )
        return Outcome.RETRYING if store.retry(job, exc, decision.delay) else Outcome.DISCARDED
    if not store.fail(job, exc):
        return Outcome.DISCARDED
    task_finished.send(sender=sender, task_result=task_result(job, job_task))
    return Outcome.FAILED


def retry_policy(job: Job) -> RetryPolicy:
    """The policy stored with the job at enqueue, completed by the ``JOBS`` defaults."""
    jobs_settings = get_settings()
    return RetryPolicy(
        max_attempts=job.max_attempts,
        backoff=jobs_settings.BACKOFF if job.backoff is None else job.backoff,
        cap=jobs_settings.BACKOFF_MAX,
        jitter=jobs_settings.BACKOFF_JITTER,
        retry_on=_exception_classes(job.retry_on),
    )


def _exception_classes(paths: Any) -> tuple[type[BaseException], ...] | None:
    """The stored ``retry_on`` classes; None (retry on any error) when none is usable."""
    if not paths or not isinstance(paths, list):
        return None
    classes = []
    for path in paths:
        found = _exception_class(path)
        if found is None:
            logger.warning("retry_on %r is not an exception class (any more); ignoring it", path)
        else:
            classes.append(found)
    return tuple(classes) or None


def _exception_class(path: Any) -> type[BaseException] | None:
    try:
        found = import_string(path) if isinstance(path, str) else None
    except ImportError:
        return None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _signal_sender(backend_name: str) -> type | None:
    try:
        return type(task_backends[backend_name])
    except InvalidTaskBackend:
        return None
