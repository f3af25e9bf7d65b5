"""Huey mode's outbox: which READY jobs have been published to Redis, and which not."""

from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.status import JobStatus
from django_jobs.store.plans import by_key_only

STALE_BATCH = 500
MARK_BATCH = 500  # ids per UPDATE: well under SQLite's limit of bound parameters
# ``{status}``: found by primary key, not through an index on status (``plans.by_key_only``).
SET_DISPATCHED_AT = (
    "UPDATE {table} SET dispatched_at = %s WHERE {status} = 'READY' AND id IN ({ids})"
)


class OutboxMixin:
    """Bookkeeping of ``Job.dispatched_at`` for JobStore."""

    jobs: Any
    using: str

    # -- dispatch bookkeeping (huey mode's outbox) ----------------------------------

    def reserve_dispatch(self, job_id: Any) -> bool:
        """Mark an undispatched READY job as being published; False if another did it."""
        return bool(
            self.jobs.filter(pk=job_id, status=JobStatus.READY, dispatched_at__isnull=True).update(
                dispatched_at=timezone.now()
            )
        )

    def mark_dispatched(self, job_id: Any) -> None:
        self.mark_dispatched_many([job_id])

    def mark_dispatched_many(self, job_ids: list[Any]) -> None:
        """After a publish of jobs stored unreserved (retries, hand-backs, the sweep's)."""
        self._set_dispatched_at(job_ids, timezone.now())

    def undo_dispatch(self, job_id: Any) -> None:
        self.undo_dispatch_many([job_id])

    def undo_dispatch_many(self, job_ids: list[Any]) -> None:
        """The publish failed: leave the jobs for the outbox sweep."""
        self._set_dispatched_at(job_ids, None)

    def _set_dispatched_at(self, job_ids: list[Any], value: datetime | None) -> None:
        """Plain statements of up to 500 ids, each row found by its primary key.

        Not ORM updates: the ORM's lookup adapted each id at a cost greater than the
        write's own, and the rows are named by id while they may sit in a backlog
        the table's statistics have not seen (``plans.by_key_only``).
        """
        connection = connections[self.using]
        table = connection.ops.quote_name(Job._meta.db_table)
        status = by_key_only(connection.vendor, "status")
        stored = connection.ops.adapt_datetimefield_value(value)
        adapt = Job._meta.pk.get_db_prep_value
        with connection.cursor() as cursor:
            for start in range(0, len(job_ids), MARK_BATCH):
                ids = [adapt(job_id, connection) for job_id in job_ids[start : start + MARK_BATCH]]
                placeholders = ", ".join(["%s"] * len(ids))
                sql = SET_DISPATCHED_AT.format(table=table, status=status, ids=placeholders)
                cursor.execute(sql, [stored, *ids])

    def undispatched(self, backend_name: str, *, older_than: float, limit: int) -> list[Job]:
        """READY jobs never published (Redis was down, or rescued/released since)."""
        cutoff = timezone.now() - timedelta(seconds=older_than)
        return list(
            self.jobs.ready()
            .filter(backend_name=backend_name, dispatched_at__isnull=True, enqueued_at__lte=cutoff)
            .order_by("-priority", "run_after")[:limit]
        )

    def stale_dispatched(self, backend_name: str, queue_name: str, *, older_than: float) -> list:
        """Ids of due READY jobs published more than ``older_than`` seconds ago."""
        cutoff = timezone.now() - timedelta(seconds=older_than)
        return list(
            self.jobs.due()
            .filter(backend_name=backend_name, queue_name=queue_name, dispatched_at__lt=cutoff)
            .values_list("pk", flat=True)[:STALE_BATCH]
        )
