"""Run queued jobs in the test's own thread and transaction, whatever the mode."""

from django.utils.crypto import get_random_string

from django_jobs.backends.huey import HueyBackend
from django_jobs.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_jobs.conf import get_settings
from django_jobs.execution import Outcome, run_job
from django_jobs.store import JobStore


def run_until_empty(
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    *,
    max_jobs: int = 10_000,
    include_scheduled: bool = False,
) -> int:
    """Run queued jobs in this thread, retries included, until none is due; return the count.

    Runs inside the test's transaction, so it works with Django's ``TestCase``.
    With ``include_scheduled`` jobs waiting for ``run_after`` (and retries waiting
    for their backoff) run at once too.
    """
    queued = task_backends[backend]
    alias = queued.alias
    store = JobStore()
    if isinstance(queued, HueyBackend):
        return queued.run_queued(store, include_scheduled=include_scheduled, max_jobs=max_jobs)
    worker_id = f"testing-{get_random_string(8)}"
    lease = get_settings().LEASE_SECONDS
    ran = 0
    while ran < max_jobs:
        ready = store.jobs.ready().filter(backend_name=alias)
        ready = ready.exclude(queue_name__in=store.paused_queues(alias))  # as workers do
        if not include_scheduled:
            ready = ready.due()
        job = ready.order_by("-priority", "run_after").first()
        if job is None:
            return ran
        claimed = store.claim_one(job.pk, worker_id=worker_id, lease_seconds=lease)
        if claimed is not None and run_job(claimed, store) is not Outcome.DISCARDED:
            ran += 1
    return ran
