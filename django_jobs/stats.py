"""Read-only numbers about queues, workers and recent outcomes, shared by ``jobs_status``, the
admin dashboard and the metrics endpoint. Each function is one or two aggregate queries, so
their cost does not grow with the number of queues or workers shown."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from django_jobs.backends.base import JobsBackend
from django_jobs.compat import task_backends
from django_jobs.conf import get_settings
from django_jobs.models import Job, PrunedJobs, Queue, Worker
from django_jobs.status import JobStatus

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class QueueStats:
    backend: str
    queue: str
    ready: int
    scheduled: int
    running: int
    succeeded_24h: int
    failed_24h: int
    oldest_due_age: float | None  # seconds the oldest due job has waited
    paused: bool


def queued_backends() -> list[str]:
    """Aliases of the backends whose jobs wait for a worker (not immediate mode)."""
    return [
        alias
        for alias in task_backends
        if isinstance(task_backends[alias], JobsBackend) and task_backends[alias].worker_kind
    ]


def configured_queues() -> set[tuple[str, str]]:
    """(backend alias, queue) for every queue a worker serves: shown even while empty."""
    return {(alias, queue) for alias in queued_backends() for queue in task_backends[alias].queues}


def queue_stats(now: datetime | None = None) -> list[QueueStats]:
    """One row per queue that is configured or has jobs, sorted by backend and queue."""
    now = now or timezone.now()
    due = Q(status=JobStatus.READY, run_after__lte=now)
    rows = list(
        Job.objects.values("backend_name", "queue_name")
        .annotate(
            ready=Count("pk", filter=due),
            scheduled=Count("pk", filter=Q(status=JobStatus.READY, run_after__gt=now)),
            running=Count("pk", filter=Q(status=JobStatus.RUNNING)),
            succeeded=Count(
                "pk", filter=Q(status=JobStatus.SUCCESSFUL, finished_at__gte=now - DAY)
            ),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED, finished_at__gte=now - DAY)),
            oldest_due=Min("run_after", filter=due),
        )
        .order_by("backend_name", "queue_name")
    )
    paused = set(Queue.objects.filter(paused=True).values_list("backend_name", "name"))
    seen = {(row["backend_name"], row["queue_name"]) for row in rows}
    empty = [
        QueueStats(backend, queue, 0, 0, 0, 0, 0, None, (backend, queue) in paused)
        for backend, queue in configured_queues()
    ]
    found = [
        QueueStats(
            backend=row["backend_name"],
            queue=row["queue_name"],
            ready=row["ready"],
            scheduled=row["scheduled"],
            running=row["running"],
            succeeded_24h=row["succeeded"],
            failed_24h=row["failed"],
            oldest_due_age=(now - row["oldest_due"]).total_seconds() if row["oldest_due"] else None,
            paused=(row["backend_name"], row["queue_name"]) in paused,
        )
        for row in rows
    ]
    stats = found + [row for row in empty if (row.backend, row.queue) not in seen]
    return sorted(stats, key=lambda row: (row.backend, row.queue))


@dataclass(frozen=True, slots=True)
class HourOutcomes:
    hour: datetime  # start of the hour
    succeeded: int
    failed: int


def hourly_outcomes(now: datetime | None = None, hours: int = 24) -> list[HourOutcomes]:
    """Succeeded and failed jobs per hour over the last ``hours``, oldest first, gaps as zeros."""
    now = now or timezone.now()
    current = now.replace(minute=0, second=0, microsecond=0)
    start = current - timedelta(hours=hours - 1)
    rows = (
        Job.objects.filter(
            status__in=[JobStatus.SUCCESSFUL, JobStatus.FAILED], finished_at__gte=start
        )
        .annotate(hour=TruncHour("finished_at", tzinfo=now.tzinfo))
        .values("hour", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(row["hour"], row["status"]): row["n"] for row in rows}
    buckets = [start + timedelta(hours=i) for i in range(hours)]
    return [
        HourOutcomes(
            hour,
            counts.get((hour, JobStatus.SUCCESSFUL), 0),
            counts.get((hour, JobStatus.FAILED), 0),
        )
        for hour in buckets
    ]


def live_workers() -> list[Worker]:
    return list(Worker.objects.live(get_settings().LEASE_SECONDS))


def lost_workers() -> list[Worker]:
    return list(Worker.objects.lost(get_settings().LEASE_SECONDS))


@dataclass(frozen=True, slots=True)
class FinishedCount:
    backend: str
    queue: str
    status: str
    count: int


def finished_counts() -> list[FinishedCount]:
    """Jobs ever finished, per backend, queue and status: kept rows plus pruned ones.

    One GROUP BY over the job table and one read of ``PrunedJobs``; pruning moves
    a job from the first to the second, so the sum never goes down.
    """
    rows = (
        Job.objects.finished()
        .values("backend_name", "queue_name", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    totals = Counter(
        {(row["backend_name"], row["queue_name"], row["status"]): row["count"] for row in rows}
    )
    for pruned in PrunedJobs.objects.all():
        totals[(pruned.backend_name, pruned.queue_name, pruned.status)] += pruned.count
    return [
        FinishedCount(backend, queue, status, count)
        for (backend, queue, status), count in sorted(totals.items())
    ]


@dataclass(frozen=True, slots=True)
class WorkerCounts:
    live: int
    lost: int


def worker_counts() -> WorkerCounts:
    """How many workers are live and lost, counted in the database instead of loaded."""
    lease = get_settings().LEASE_SECONDS
    return WorkerCounts(
        live=Worker.objects.live(lease).count(), lost=Worker.objects.lost(lease).count()
    )
