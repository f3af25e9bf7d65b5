"""``prune_jobs``: enforce ``JOBS["RETENTION"]`` on the job history."""

from django_jobs.api import prune
from django_jobs.jobtask import task


@task(queue_name="default")
def prune_jobs() -> dict[str, int]:
    """Delete finished jobs past their retention, in small batches; never unfinished ones."""
    return prune()
