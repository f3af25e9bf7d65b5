"""Schedules synced from ``JOBS["SCHEDULES"]`` and one row per tick that was decided."""

import datetime

from django.db import models
from django.utils import timezone

from django_jobs.schedules import ScheduleSpec


class Schedule(models.Model):
    """A cron schedule as last synced from settings, plus operator state.

    ``enabled`` follows settings (a schedule removed from settings is disabled, not
    deleted, so its history stays); ``paused`` belongs to operators. A schedule
    never fires for ticks before ``created_at``, nor at or before ``last_tick_at``:
    the latest tick decided, or the moment the schedule was resumed, enabled again
    or given a new cron or time zone (so it starts from its next tick).
    """

    name = models.CharField(max_length=200, unique=True)
    task_path = models.CharField(max_length=255)
    cron = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    queue_name = models.CharField(max_length=100, null=True, blank=True)
    catch_up = models.CharField(max_length=10, default="latest")
    overlap = models.CharField(max_length=10, default="skip")
    enabled = models.BooleanField(default=True)
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)
    last_tick_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("run_schedule", "Can pause, resume and run schedules now")]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> ScheduleSpec:
        """This row as the pure spec that does the tick arithmetic."""
        return ScheduleSpec(
            name=self.name,
            task=self.task_path,
            cron=self.cron,
            timezone=self.time_zone,
            args=self.args,
            kwargs=self.kwargs,
            queue=self.queue_name,
            enabled=self.enabled,
            catch_up=self.catch_up,
            overlap=self.overlap,
        )

    def next_tick_at(self, now: datetime.datetime | None = None) -> datetime.datetime | None:
        """When the schedule fires next; None while it is paused or disabled."""
        if self.paused or not self.enabled:
            return None
        return self.spec().next_tick(now or timezone.now())


class ScheduleRun(models.Model):
    """One decided tick: the unique (schedule, tick) row makes each tick fire once.

    Whichever scheduler inserts the row enqueues the job in the same transaction;
    every other scheduler's insert fails and it moves on.
    """

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    tick = models.DateTimeField()
    job_id = models.UUIDField(null=True, blank=True)
    skipped = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-tick"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "tick"], name="django_jobs_one_run_per_tick"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id}@{self.tick.isoformat()}"
