"""Read-only numbers about queues and workers, shared by ``jobs_status`` (and later the admin
dashboard and metrics). Each function is one or two aggregate queries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from django_jobs.conf import get_settings
from django_jobs.models import Job, Queue, Worker
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


def queue_stats(now: datetime | None = None) -> list[QueueStats]:
    now = now or timezone.now()
    due = Q(status=JobStatus.READY, run_after__lte=now)
    rows = (
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
    return [
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
    """Finished jobs still in the job table, per backend, queue and status: one GROUP BY.

    These count retained rows, not events: pruning old history lowers them.
    """
    rows = (
        Job.objects.finished()
        .values("backend_name", "queue_name", "status")
        .annotate(count=Count("pk"))
        .order_by("backend_name", "queue_name", "status")
    )
    return [
        FinishedCount(row["backend_name"], row["queue_name"], row["status"], row["count"])
        for row in rows
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
