"""Read-only numbers about queues, workers and recent outcomes, shared by ``jobs_status``, the
admin dashboard and the metrics endpoint. Each function is one or two aggregate queries, so
their cost does not grow with the number of queues or workers shown."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

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
        if getattr(task_backends[alias], "worker_kind", None) is not None
    ]


def configured_queues() -> set[tuple[str, str]]:
    """(backend alias, queue) for every queue a worker serves: shown even while empty."""
    return {(alias, queue) for alias in queued_backends() for queue in task_backends[alias].queues}


def queue_stats(now: datetime | None = None) -> list[QueueStats]:
    """One row per queue that is configured, paused, or has unfinished or recent jobs.

    Two GROUP BYs over bounded, indexed sets (unfinished jobs; jobs finished in the
    last 24 hours) instead of one over the whole table, so the cost follows the
    day's volume, not the history that retention keeps.
    """
    now = now or timezone.now()
    due = Q(status=JobStatus.READY, run_after__lte=now)
    unfinished = (
        Job.objects.active()
        .values("backend_name", "queue_name")
        .annotate(
            ready=Count("pk", filter=due),
            scheduled=Count("pk", filter=Q(status=JobStatus.READY, run_after__gt=now)),
            running=Count("pk", filter=Q(status=JobStatus.RUNNING)),
            oldest_due=Min("run_after", filter=due),
        )
        .order_by()
    )
    recent = (
        Job.objects.filter(
            status__in=[JobStatus.SUCCESSFUL, JobStatus.FAILED], finished_at__gte=now - DAY
        )
        .values("backend_name", "queue_name")
        .annotate(
            succeeded=Count("pk", filter=Q(status=JobStatus.SUCCESSFUL)),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
        )
        .order_by()
    )
    paused = set(Queue.objects.filter(paused=True).values_list("backend_name", "name"))
    numbers: dict[tuple[str, str], dict] = {key: {} for key in configured_queues() | paused}
    for row in [*unfinished, *recent]:
        numbers.setdefault((row["backend_name"], row["queue_name"]), {}).update(row)
    return [
        QueueStats(
            backend=backend,
            queue=queue,
            ready=found.get("ready", 0),
            scheduled=found.get("scheduled", 0),
            running=found.get("running", 0),
            succeeded_24h=found.get("succeeded", 0),
            failed_24h=found.get("failed", 0),
            oldest_due_age=(now - found["oldest_due"]).total_seconds()
            if found.get("oldest_due")
            else None,
            paused=(backend, queue) in paused,
        )
        for (backend, queue), found in sorted(numbers.items())
    ]


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
