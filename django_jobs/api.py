"""Control jobs from code; the admin and management commands call these same functions."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from django_jobs.backends.base import JobsBackend, jobs_backend
from django_jobs.compat import Task, TaskResult
from django_jobs.conf import get_settings
from django_jobs.models import Job, Queue, Schedule, ScheduleRun, Worker
from django_jobs.scheduler import enqueue_schedule
from django_jobs.store import JobStore


def enqueue_many(
    task: Task, calls: Iterable[tuple[Sequence[Any], Mapping[str, Any]]]
) -> list[TaskResult]:
    """Enqueue many calls of one task at once: ``[(args, kwargs), ...]``; all or nothing.

    Checks every call as ``enqueue()`` does, then stores the jobs with a few bulk
    INSERTs in one transaction (and, in huey mode, publishes them on commit).
    Much faster than a loop of ``enqueue()`` for fan-out work; unique tasks are
    refused. The task's backend must be one of ours.
    """
    backend = task.get_backend()
    if not isinstance(backend, JobsBackend):
        raise TypeError(
            f"enqueue_many() needs a django_jobs backend; {task.module_path} uses "
            f"{type(backend).__name__}."
        )
    return backend.enqueue_many(task, calls)


def requeue(job_id: Any) -> Job:
    """Run a finished (failed, cancelled or successful) job again with the same arguments.

    Raises ``InvalidTransition`` when the job is still unfinished, or when another
    unfinished job holds its unique key.
    """
    store = JobStore()
    job = store.requeue(job_id)
    return jobs_backend(job.backend_name).dispatch(job, store)


def run_now(job_id: Any) -> Job:
    """Run a scheduled (or retry-waiting) job now instead of at its ``run_after``."""
    store = JobStore()
    job = store.run_now(job_id)
    return jobs_backend(job.backend_name).dispatch(job, store)


def pause_queue(backend_name: str, queue_name: str) -> Queue:
    """Stop workers from claiming the queue's jobs; they stay READY until resumed."""
    return _set_paused(backend_name, queue_name, paused=True)


def resume_queue(backend_name: str, queue_name: str) -> Queue:
    return _set_paused(backend_name, queue_name, paused=False)


def _set_paused(backend_name: str, queue_name: str, *, paused: bool) -> Queue:
    """Write the queue's row before reading anything.

    ``update_or_create`` reads inside its transaction, then writes: on SQLite, once a
    worker has written since that read, the write fails at once with "database is
    locked" (a stale snapshot cannot take the writer's lock; the busy timeout never
    applies). A first statement that writes waits its turn like any other.
    """
    queues = Queue.objects.filter(backend_name=backend_name, name=queue_name)
    if not queues.update(paused=paused, changed_at=timezone.now()):
        try:
            with transaction.atomic():
                Queue.objects.create(backend_name=backend_name, name=queue_name, paused=paused)
        except IntegrityError:  # another operator created it just now
            queues.update(paused=paused, changed_at=timezone.now())
    return queues.get()


def cancel(job_id: Any) -> Job:
    """Cancel a READY job so it never runs; for a RUNNING one, record the request.

    Raises ``InvalidTransition`` for a finished job.
    """
    return JobStore().cancel(job_id)


STOPPED_WORKERS_KEPT = timedelta(days=7)


def prune() -> dict[str, int]:
    """Delete finished jobs past ``JOBS["RETENTION"]``; return counts per status.

    Also forgets ``Worker`` rows whose last heartbeat is over a week old.
    """
    Worker.objects.filter(heartbeat_at__lt=timezone.now() - STOPPED_WORKERS_KEPT).delete()
    return JobStore().prune(get_settings().RETENTION)


def _schedule(name: str) -> Schedule:
    try:
        if "\x00" in name:  # no column holds NUL (PostgreSQL refuses the query outright)
            raise Schedule.DoesNotExist
        return Schedule.objects.get(name=name)
    except Schedule.DoesNotExist:
        raise LookupError(
            f"No schedule named {name!r}; schedules are synced from "
            "JOBS['SCHEDULES'] when a worker starts."
        ) from None


def pause_schedule(name: str) -> Schedule:
    """Stop a schedule from firing until resumed (settings are left alone)."""
    Schedule.objects.filter(pk=_schedule(name).pk).update(paused=True)
    return _schedule(name)


def resume_schedule(name: str) -> Schedule:
    """Let a paused schedule fire again, from its next tick on (missed ticks are not replayed)."""
    schedule = _schedule(name)
    Schedule.objects.filter(pk=schedule.pk).update(paused=False, last_tick_at=timezone.now())
    return _schedule(name)


def run_schedule_now(name: str) -> str:
    """Enqueue a schedule's job now, outside its cron; return the job id."""
    schedule = _schedule(name)
    with transaction.atomic():
        job_id = enqueue_schedule(schedule)
        ScheduleRun.objects.create(schedule=schedule, tick=timezone.now(), job_id=job_id)
    return job_id
