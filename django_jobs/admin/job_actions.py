"""What an operator can do to a job, who may, and to which jobs it applies.

One table serves the list's bulk actions, the job page's buttons and the
"whole filter" confirmation page, so they cannot disagree about permissions.
Every action is a function of ``django_jobs.api``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from django_jobs import api
from django_jobs.models import Job
from django_jobs.status import ACTIVE, FINISHED, JobStatus


@dataclass(frozen=True, slots=True)
class JobAction:
    name: str
    label: str
    permission: str  # codename in the django_jobs app
    run: Callable[[Any], Job]
    verb: str  # for messages and the admin history
    applies: Callable[[Job], bool]

    def allowed(self, user: Any) -> bool:
        return user.has_perm(f"django_jobs.{self.permission}")


ACTIONS = {
    action.name: action
    for action in (
        JobAction(
            "requeue",
            "Requeue",
            "requeue_job",
            api.requeue,
            "Requeued",
            lambda job: job.status in FINISHED,
        ),
        JobAction(
            "cancel",
            "Cancel",
            "cancel_job",
            api.cancel,
            "Cancelled",
            lambda job: job.status in ACTIVE and not job.cancel_requested,
        ),
        JobAction(
            "run_now",
            "Run now",
            "requeue_job",
            api.run_now,
            "Made due now",
            lambda job: job.status == JobStatus.READY and job.run_after > timezone.now(),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class BulkOperation:
    """An action applied to every job of the current list filter in a given status."""

    action: JobAction
    status: str
    description: str

    def narrow(self, queryset: QuerySet[Job]) -> QuerySet[Job]:
        return queryset.filter(status=self.status)


BULK_OPERATIONS = {
    "requeue-failed": BulkOperation(ACTIONS["requeue"], JobStatus.FAILED, "Requeue all failed"),
    "cancel-ready": BulkOperation(ACTIONS["cancel"], JobStatus.READY, "Cancel all ready"),
}
