"""Immediate mode: the job runs inside ``enqueue()``, recorded like any other job."""

from typing import TYPE_CHECKING

from django.utils.crypto import get_random_string

from django_jobs.backends.base import JobsBackend
from django_jobs.conf import get_settings

if TYPE_CHECKING:
    from django_jobs.models import Job
    from django_jobs.store import JobStore


class ImmediateBackend(JobsBackend):
    """Runs each job at once, retrying inline without sleeping (dev and tests).

    Arguments take the same JSON round-trip and the same retry policy as in
    the queued modes, so tests see what production does. ``run_after`` is
    recorded but not waited for.
    """

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.worker_id = f"immediate-{get_random_string(12)}"

    def dispatch(self, job: "Job", store: "JobStore") -> "Job":
        # Layer exception: a backend may call the execution layer (DESIGN "Layers").
        from django_jobs.execution import Outcome, run_job

        lease = get_settings().LEASE_SECONDS
        last_run = None  # the job as its last run left it, when that run's write won
        while claimed := store.claim_one(job.pk, worker_id=self.worker_id, lease_seconds=lease):
            outcome = run_job(claimed, store)
            last_run = None if outcome is Outcome.DISCARDED else claimed
            if outcome is not Outcome.RETRYING:
                break
        return last_run or store.get(job.pk)
