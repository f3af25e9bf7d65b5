"""The ``Job`` row: one job and its whole history, whatever mode ran it."""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.base import ModelState
from django.utils import timezone

from django_jobs.ids import new_job_id
from django_jobs.status import ACTIVE, FINISHED, JobStatus


class JobQuerySet(models.QuerySet["Job"]):
    """Named states, so callers never spell out status/time conditions themselves."""

    def ready(self) -> "JobQuerySet":
        return self.filter(status=JobStatus.READY)

    def due(self, now: datetime | None = None) -> "JobQuerySet":
        return self.ready().filter(run_after__lte=now or timezone.now())

    def scheduled(self, now: datetime | None = None) -> "JobQuerySet":
        return self.ready().filter(run_after__gt=now or timezone.now())

    def running(self) -> "JobQuerySet":
        return self.filter(status=JobStatus.RUNNING)

    def active(self) -> "JobQuerySet":
        return self.filter(status__in=ACTIVE)

    def finished(self) -> "JobQuerySet":
        return self.filter(status__in=FINISHED)

    def lease_expired(self, now: datetime | None = None) -> "JobQuerySet":
        return self.running().filter(lease_expires_at__lt=now or timezone.now())


class Job(models.Model):
    """One enqueued task call: its arguments, state, outcome and every attempt's error.

    ``attempts`` is counted by the claim statement, which also appends the
    worker id, so ``attempts == len(worker_ids)`` always (Django's
    ``TaskResult.attempts``). ``worker_id`` + ``attempts`` fence a running
    job: a worker whose lease was taken over can no longer change the row.
    """

    id = models.UUIDField(primary_key=True, default=new_job_id, editable=False)
    task_path = models.CharField(max_length=255)
    queue_name = models.CharField(max_length=100)
    priority = models.SmallIntegerField(default=0)
    backend_name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.READY)

    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    return_value = models.JSONField(null=True, blank=True)
    errors = models.JSONField(default=list)

    enqueued_at = models.DateTimeField(default=timezone.now)
    run_after = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    last_attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    backoff = models.FloatField(null=True, blank=True)
    timeout = models.FloatField(null=True, blank=True)
    retry_on = models.JSONField(null=True, blank=True)

    worker_ids = models.JSONField(default=list)
    worker_id = models.CharField(max_length=64, null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # When the job went to its transport (a fresh job: when it was stored); NULL while a
    # requeued, released or unsent huey-mode job waits for the outbox sweep.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    unique_key = models.CharField(max_length=255, null=True, blank=True)
    # Equal to unique_key while the job is unfinished, NULL after: a plain unique
    # constraint on it works on every database (MySQL ignores partial ones).
    active_unique_key = models.CharField(max_length=255, null=True, blank=True, unique=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-enqueued_at"]
        indexes = [
            models.Index(
                fields=["backend_name", "queue_name", "-priority", "run_after"],
                condition=Q(status="READY"),
                name="django_jobs_claim_idx",
            ),
            # Claims walk this one in claim order and stop after a batch, whatever the backlog
            # (the one above sorts every ready row when a worker serves several queues).
            models.Index(
                fields=["backend_name", "-priority", "run_after", "id"],
                condition=Q(status="READY"),
                name="django_jobs_due_idx",
            ),
            # Huey mode's outbox: READY jobs not yet published, which are few (a fresh job
            # is stored published), so every worker's sweep reads only them.
            models.Index(
                fields=["backend_name", "-priority", "run_after"],
                condition=Q(status="READY", dispatched_at__isnull=True),
                name="django_jobs_outbox_idx",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="RUNNING"),
                name="django_jobs_lease_idx",
            ),
            models.Index(fields=["-enqueued_at"], name="django_jobs_enqueued_idx"),
            models.Index(fields=["status", "-enqueued_at"], name="django_jobs_status_idx"),
            # A job changes status twice (claimed, then finished), and each change moves it
            # in every index keyed on status. The queue index is keyed on enqueue time (a
            # queue's jobs newest first), and the finished index holds finished jobs only:
            # a claim moves the job in neither, a success adds it to the second.
            models.Index(fields=["queue_name", "-enqueued_at"], name="django_jobs_queue_idx"),
            models.Index(fields=["task_path", "-enqueued_at"], name="django_jobs_task_idx"),
            models.Index(
                fields=["status", "finished_at"],
                condition=Q(finished_at__isnull=False),
                name="django_jobs_finished_idx",
            ),
            # Most jobs have no key: leaving them out spares every write an entry here.
            models.Index(
                fields=["unique_key"],
                condition=Q(unique_key__isnull=False),
                name="django_jobs_ukey_idx",
            ),
        ]
        permissions = [
            ("requeue_job", "Can requeue jobs"),
            ("cancel_job", "Can cancel jobs"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} [{self.status}] {self.id}"

    @classmethod
    def fresh(cls, **values: Any) -> "Job":
        """``Job(**values)`` in less than half the time, for the one every enqueue builds.

        Each field takes its value or its default, as in ``Model.__init__``, without
        that method's general checks and init signals (as ``store.inserts.alike_jobs``
        copies jobs, and as Django unpickles them). ``values`` are field attnames.
        """
        job = cls.__new__(cls)
        job._state = ModelState()
        fields = job.__dict__
        for attname, get_default in _field_defaults():
            fields[attname] = values.pop(attname) if attname in values else get_default()
        if values:
            raise TypeError(f"Job has no field {', '.join(sorted(values))}")
        return job

    @property
    def task_name(self) -> str:
        return self.task_path.rsplit(".", 1)[-1]

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


@functools.cache
def _field_defaults() -> list[tuple[str, Callable[[], Any]]]:
    return [(field.attname, field.get_default) for field in Job._meta.concrete_fields]
