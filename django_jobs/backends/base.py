"""What every django-jobs backend shares: validate, check arguments, store, dispatch.

Django builds backends when a module with ``@task`` is imported, possibly
before apps are ready, so nothing here does I/O or imports models at import
time: the store and the execution layer are imported inside methods.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import apps
from django.core import checks
from django.utils import timezone
from django.utils.module_loading import import_string

from django_jobs.collector import collector_paused
from django_jobs.compat import (
    BaseTaskBackend,
    InvalidTask,
    InvalidTaskBackend,
    Task,
    TaskResult,
    TaskResultDoesNotExist,
    task_backends,
    task_enqueued,
)
from django_jobs.conf import get_settings
from django_jobs.ids import new_job_ids
from django_jobs.jobtask import JobTask, class_path, validate_fields, validate_options
from django_jobs.payload import PreparedArguments, prepare

if TYPE_CHECKING:
    from django_jobs.models import Job
    from django_jobs.store import JobStore


class JobsBackend(BaseTaskBackend):
    """Base of our backends: every enqueue writes a ``Job`` row, then ``dispatch()``es it."""

    task_class = JobTask
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    # Which ``run_jobs`` loop serves this backend: "database", "huey", or None.
    worker_kind: ClassVar[str | None] = None
    known_options: ClassVar[frozenset[str]] = frozenset()

    def validate_task(self, task: Task) -> None:
        validate_fields(task)  # first: Django's check assumes the types are right
        super().validate_task(task)
        validate_options(task)

    def enqueue(self, task: Task, args: Sequence[Any], kwargs: Mapping[str, Any]) -> TaskResult:
        from django_jobs.store import JobStore
        from django_jobs.store.results import task_for_job, task_result, to_task_result

        self.validate_task(task)
        _check_importable(task)
        store = JobStore()
        prepared = self._prepare(task, args, kwargs)
        job, created = store.create(
            self._new_job(task, prepared.args, prepared.kwargs), wake=self.wake_on_insert()
        )
        if not created:
            return to_task_result(job)
        job_task = task_for_job(job, task)
        result = task_result(job, job_task)
        try:
            task_enqueued.send(type(self), task_result=result)
        finally:  # a receiver that raises must not leave the stored job unsent (or unrun)
            dispatched = self.dispatch_created(job, store)
        if dispatched is job:  # unchanged by dispatching (queued modes)
            return result
        return task_result(dispatched, job_task)

    def dispatch(self, job: "Job", store: "JobStore") -> "Job":
        """Send a freshly stored job on its way; return it as it stands afterwards."""
        raise NotImplementedError("JobsBackend subclasses must define dispatch()")

    def wake_on_insert(self) -> str | None:
        """Whose idle workers ``enqueue()``'s INSERT itself wakes (``JobStore.create``), if any."""
        return None

    def dispatch_created(self, job: "Job", store: "JobStore") -> "Job":
        """``dispatch()`` a job ``enqueue()`` has just inserted (with ``wake_on_insert``)."""
        return self.dispatch(job, store)

    def enqueue_many(
        self, task: Task, calls: Iterable[tuple[Sequence[Any], Mapping[str, Any]]]
    ) -> list[TaskResult]:
        """Enqueue many calls of ``task`` in one transaction; all or nothing.

        Every call is checked first (arguments bind, are JSON and fit the size
        limit), so one bad call raises before anything is stored. The jobs are
        stored in one transaction and dispatched together. Unique tasks are refused:
        a unique key names one job, so they are enqueued one by one.
        """
        from django.db import transaction

        from django_jobs.store import JobStore
        from django_jobs.store.results import task_for_job, to_task_result

        self.validate_task(task)
        _check_importable(task)
        if getattr(task, "unique_key", None) is not None:
            raise InvalidTask("enqueue_many() does not take unique jobs: enqueue them one by one.")
        store = JobStore()
        with transaction.atomic(using=store.using):
            with collector_paused():  # what the batch builds lives until it returns
                arguments = [self._prepare(task, *_call(call)) for call in calls]
                template = self._new_job(task, [], {})
                job_task = task_for_job(template, task)  # the same for every job of the batch
                ids = new_job_ids(len(arguments))
                prepared = self.prepare_alike(template, ids)  # runs while the INSERT does
                store.create_alike(template, arguments, ids)
                results = _alike_results(store, template, ids, arguments, job_task)
                for result in results:
                    task_enqueued.send(type(self), task_result=result)
            # Immediate mode runs the jobs here: their own garbage is the collector's again.
            dispatched = self.dispatch_alike(template, ids, arguments, store, prepared)
        if dispatched is None:  # unchanged by dispatching (queued modes)
            return results
        return [to_task_result(job, task) for job in dispatched]

    def prepare_alike(self, template: "Job", ids: list[Any]) -> Any:
        """Start what dispatching a batch needs before its INSERT; given to ``dispatch_alike``.

        The database driver releases the GIL while it INSERTs the batch, so work
        started here on a thread of its own (``ahead.Ahead``) runs meanwhile on
        another core. Nothing to start by default (None).
        """
        return None

    def dispatch_alike(
        self,
        template: "Job",
        ids: list[Any],
        arguments: list[PreparedArguments],
        store: "JobStore",
        prepared: Any = None,
    ) -> list["Job"] | None:
        """Send a batch ``create_alike`` stored on its way: ``dispatch()`` each job.

        Returns the jobs as they stand afterwards, or None when dispatching leaves
        them as stored (queued modes), so their results need not be built again.
        """
        return [self.dispatch(job, store) for job in store.alike_jobs(template, ids, arguments)]

    @staticmethod
    def _prepare(task: Task, args: Sequence[Any], kwargs: Mapping[str, Any]) -> PreparedArguments:
        return prepare(
            task.func,
            args,
            kwargs,
            takes_context=task.takes_context,
            max_bytes=get_settings().MAX_PAYLOAD_BYTES,
        )

    def _new_job(self, task: Task, args: list[Any], kwargs: dict[str, Any]) -> "Job":
        """The job ``enqueue`` stores, already dispatched (``dispatched_at``).

        Its transport is the row itself in database mode; in huey mode the publish
        after commit is reserved by it and needs no write of its own (only a failed
        send gives the job back to the sweep, ``publisher.py``). Either way the job
        stays out of the outbox index, which the sweep reads on every heartbeat.
        """
        from django_jobs.models import Job

        now = timezone.now()
        retry_on = getattr(task, "retry_on", None)
        return Job.fresh(
            task_path=task.module_path,
            queue_name=task.queue_name,
            priority=task.priority,
            backend_name=self.alias,
            args=args,
            kwargs=kwargs,
            enqueued_at=now,
            dispatched_at=now,
            run_after=task.run_after or now,
            max_attempts=getattr(task, "max_attempts", None) or get_settings().MAX_ATTEMPTS,
            backoff=getattr(task, "backoff", None),
            timeout=getattr(task, "timeout", None),
            retry_on=[class_path(cls) for cls in retry_on] if retry_on else None,
            unique_key=getattr(task, "unique_key", None),
        )

    def get_result(self, result_id: str) -> TaskResult:
        from django.core.exceptions import ValidationError

        from django_jobs.exceptions import UnknownTask
        from django_jobs.models import Job
        from django_jobs.store.results import to_task_result

        try:
            return to_task_result(Job.objects.get(pk=result_id))
        except (Job.DoesNotExist, ValidationError, ValueError) as exc:
            raise TaskResultDoesNotExist(result_id) from exc
        except UnknownTask as exc:
            raise TaskResultDoesNotExist(f"{result_id}: {exc}") from exc

    def check(self, **kwargs: Any) -> Iterable[checks.CheckMessage]:  # type: ignore[override]
        if not apps.is_installed("django_jobs"):
            yield checks.Error(
                f"Task backend {self.alias!r} needs 'django_jobs' in INSTALLED_APPS.",
                id="django_jobs.E010",
            )
        for name in sorted(set(self.options) - self.known_options):
            yield checks.Error(
                f"TASKS[{self.alias!r}]['OPTIONS'] has an unknown option {name!r}; "
                f"{type(self).__name__} accepts: {sorted(self.known_options) or 'none'}.",
                id="django_jobs.E011",
            )


def jobs_backend(alias: str) -> JobsBackend:
    """The ``TASKS`` backend ``alias``, which must be one of ours."""
    backend = task_backends[alias]
    if not isinstance(backend, JobsBackend):
        raise InvalidTaskBackend(
            f"Backend {alias!r} is {type(backend).__name__}, not a django_jobs backend."
        )
    return backend


def _alike_results(
    store: "JobStore",
    template: "Job",
    ids: list[Any],
    arguments: list[PreparedArguments],
    job_task: Task,
) -> list[TaskResult]:
    """The results of a batch's fresh jobs: the first built and checked, the rest copied.

    They differ only in id and arguments, which ``prepare`` has already made JSON's
    own, so ``TaskResult``'s constructor (normalising them again) runs once.
    """
    from django_jobs.store.results import restored_many, task_result

    if not ids:
        return []
    first = task_result(store.alike_jobs(template, ids[:1], arguments[:1])[0], job_task)
    rest: Iterable[tuple[Any, ...]] = (
        (str(job_id), args, kwargs, [], [])
        for job_id, (args, kwargs, *_) in zip(ids[1:], arguments[1:], strict=True)
    )
    return [first, *restored_many(first, ("id", "args", "kwargs", "errors", "worker_ids"), rest)]


_ARGS = frozenset({tuple, list})


def _call(call: Any) -> tuple[Sequence[Any], Mapping[str, Any]]:
    """One ``(args, kwargs)`` pair of ``enqueue_many``, or a clear TypeError."""
    if type(call) is tuple and len(call) == 2 and type(call[0]) in _ARGS and type(call[1]) is dict:
        return call  # the usual shape, without the cost of the abstract classes' checks
    if (
        isinstance(call, tuple)
        and len(call) == 2
        and isinstance(call[0], Sequence)
        and not isinstance(call[0], str | bytes)
        and isinstance(call[1], Mapping)
    ):
        return call
    raise TypeError(
        f"enqueue_many() takes (args, kwargs) pairs such as ((1, 2), {{}}), got: {call!r:.100}"
    )


def _check_importable(task: Task) -> None:
    """A worker finds the task by its path: refuse tasks it could not find."""
    try:
        found = import_string(task.module_path)
    except ImportError as exc:
        raise InvalidTask(f"Task {task.module_path!r} is not importable by that path.") from exc
    if not isinstance(found, Task) or found.func is not task.func:
        raise InvalidTask(
            f"{task.module_path!r} does not name this task; define tasks at module level "
            "under the name of their function."
        )
