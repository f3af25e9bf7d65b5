"""Database mode: the ``Job`` table is the queue; ``run_jobs`` workers claim from it."""

from typing import TYPE_CHECKING, Any

from django_jobs.backends.base import JobsBackend

if TYPE_CHECKING:
    from django_jobs.models import Job
    from django_jobs.store import JobStore


class DatabaseBackend(JobsBackend):
    """Stores the job in the caller's transaction; a rollback means it never existed.

    On PostgreSQL the enqueue's INSERT also sends the NOTIFY (``requeue`` and
    ``run_now`` send it after their UPDATE, in the same transaction); delivered on
    commit, the notification wakes an idle worker at once.
    """

    worker_kind = "database"

    def wake_on_insert(self) -> str:
        return self.alias

    def dispatch(self, job: "Job", store: "JobStore") -> "Job":
        from django_jobs.db.notify import notify

        notify(store.using, self.alias)
        return job

    def dispatch_created(self, job: "Job", store: "JobStore") -> "Job":
        """Nothing left to do: the INSERT woke the workers in the same statement."""
        return job

    def dispatch_alike(
        self,
        template: "Job",
        ids: list[Any],
        arguments: list[Any],
        store: "JobStore",
        prepared: Any = None,
    ) -> None:
        """One wake-up for the whole batch; no ``Job`` objects are needed."""
        if ids:
            self.dispatch(template, store)
