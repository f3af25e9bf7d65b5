"""Control jobs from code; the admin and management commands call these same functions."""

from typing import Any

from django_jobs.compat import task_backends
from django_jobs.models import Job
from django_jobs.store import JobStore


def requeue(job_id: Any) -> Job:
    """Run a finished (failed, cancelled or successful) job again with the same arguments.

    Raises ``InvalidTransition`` when the job is still unfinished, or when another
    unfinished job holds its unique key.
    """
    store = JobStore()
    job = store.requeue(job_id)
    return task_backends[job.backend_name].dispatch(job, store)


def cancel(job_id: Any) -> Job:
    """Cancel a READY job so it never runs; for a RUNNING one, record the request.

    Raises ``InvalidTransition`` for a finished job.
    """
    return JobStore().cancel(job_id)
