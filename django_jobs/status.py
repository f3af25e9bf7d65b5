"""Job statuses: Django's ``TaskResultStatus`` plus ``CANCELLED``."""

from django.db import models
from django.utils.translation import pgettext_lazy

from django_jobs.compat import TaskResultStatus


class JobStatus(models.TextChoices):
    READY = "READY", pgettext_lazy("Job", "Ready")
    RUNNING = "RUNNING", pgettext_lazy("Job", "Running")
    SUCCESSFUL = "SUCCESSFUL", pgettext_lazy("Job", "Successful")
    FAILED = "FAILED", pgettext_lazy("Job", "Failed")
    CANCELLED = "CANCELLED", pgettext_lazy("Job", "Cancelled")


ACTIVE = frozenset({JobStatus.READY, JobStatus.RUNNING})
FINISHED = frozenset({JobStatus.SUCCESSFUL, JobStatus.FAILED, JobStatus.CANCELLED})


def to_task_result_status(status: str) -> TaskResultStatus:
    """Map a job status onto Django's enum: a cancelled job is, to Django, a failed one."""
    if status == JobStatus.CANCELLED:
        return TaskResultStatus.FAILED
    return TaskResultStatus(status)
