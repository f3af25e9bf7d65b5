"""A ``Worker`` row per ``run_jobs`` process, kept fresh by its heartbeat."""

from datetime import timedelta

from django.db import models
from django.utils import timezone


class WorkerQuerySet(models.QuerySet["Worker"]):
    def live(self, lease_seconds: float) -> "WorkerQuerySet":
        since = timezone.now() - timedelta(seconds=lease_seconds)
        return self.filter(stopped_at__isnull=True, heartbeat_at__gte=since)

    def lost(self, lease_seconds: float) -> "WorkerQuerySet":
        since = timezone.now() - timedelta(seconds=lease_seconds)
        return self.filter(stopped_at__isnull=True, heartbeat_at__lt=since)


class Worker(models.Model):
    """Who is working: host, pid, queues, concurrency and a heartbeat.

    A worker that stops cleanly sets ``stopped_at``; one whose heartbeat is
    older than a lease without stopping is *lost* (killed, machine gone).
    """

    id = models.CharField(primary_key=True, max_length=64)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    backend_name = models.CharField(max_length=100)
    queues = models.JSONField(default=list)
    concurrency = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    jobs_done = models.PositiveBigIntegerField(default=0)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["stopped_at", "heartbeat_at"], name="django_jobs_worker_idx")
        ]

    def __str__(self) -> str:
        return self.id
