"""Huey mode's outbox: which READY jobs have been published to Redis, and which not."""

from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.status import JobStatus
from django_jobs.store.plans import by_key_only, not_a_range_key

STALE_BATCH = 500
MARK_BATCH = 500  # ids per UPDATE: well under SQLite's limit of bound parameters
# ``{status}``: found by primary key, not through an index on status (``plans.by_key_only``).
SET_DISPATCHED_AT = (
    "UPDATE {table} SET dispatched_at = %s WHERE {status} = 'READY' AND id IN ({ids})"
)
# From the outbox index (``django_jobs_outbox_idx``), in its order.
UNDISPATCHED = """
SELECT * FROM {table}
WHERE status = 'READY' AND dispatched_at IS NULL AND backend_name = %s AND {enqueued_at} <= %s
ORDER BY priority DESC, run_after LIMIT %s
"""
# A loose index scan of the claim index (backend, queue, ...): one probe per queue, where
# ``SELECT DISTINCT`` would read every READY job's entry.
QUEUES_WITH_DUE_JOBS = """
WITH RECURSIVE queues(name) AS (
    SELECT CAST('' AS {varchar})
    UNION ALL
    SELECT (
        SELECT queue_name FROM {table}
        WHERE status = 'READY' AND backend_name = %s AND queue_name > queues.name
        AND run_after <= %s
        ORDER BY queue_name LIMIT 1
    ) FROM queues WHERE queues.name IS NOT NULL
)
SELECT name FROM queues WHERE name > ''  -- queue names are never empty (jobtask.py)
"""
# From the claim index: run only for a queue whose Redis queue is empty.
STALE = """
SELECT id FROM {table}
WHERE status = 'READY' AND backend_name = %s AND queue_name = %s AND run_after <= %s
AND dispatched_at < %s
LIMIT %s
"""


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

    # The sweep's reads run on every worker's every heartbeat, whatever the backlog, so
    # each one is written to read only its index's few matching entries: the status
    # test is spelled out, as a partial index needs (a bound parameter hides it).

    def undispatched(self, backend_name: str, *, older_than: float, limit: int) -> list[Job]:
        """READY jobs never published (Redis was down, or rescued/released since).

        Read from the outbox index, which holds only unpublished READY jobs (a fresh
        job is stored published or reserved), so a backlog on Redis is not read.
        """
        cutoff = timezone.now() - timedelta(seconds=older_than)
        return list(self.jobs.raw(*self._sql(UNDISPATCHED, backend_name, cutoff, limit)))

    def queues_with_due_jobs(self, backend_name: str) -> list[str]:
        """The queues holding due READY jobs: one probe of the claim index per queue."""
        now = timezone.now()
        sql, params = self._sql(QUEUES_WITH_DUE_JOBS, backend_name, now)
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return [name for (name,) in cursor.fetchall()]

    def stale_dispatched(self, backend_name: str, queue_name: str, *, older_than: float) -> list:
        """Ids of due READY jobs published more than ``older_than`` seconds ago."""
        now = timezone.now()
        cutoff = now - timedelta(seconds=older_than)
        sql, params = self._sql(STALE, backend_name, queue_name, now, cutoff, STALE_BATCH)
        to_python = Job._meta.pk.to_python
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return [to_python(job_id) for (job_id,) in cursor.fetchall()]

    def _sql(self, template: str, *values: Any) -> tuple[str, list[Any]]:
        """``template`` for this database's job table, with ``values`` adapted to it."""
        connection = connections[self.using]
        adapt = connection.ops.adapt_datetimefield_value
        params = [adapt(value) if isinstance(value, datetime) else value for value in values]
        table = connection.ops.quote_name(Job._meta.db_table)
        enqueued_at = not_a_range_key(connection.vendor, "enqueued_at")
        varchar = connection.ops.cast_char_field_without_max_length
        return template.format(table=table, enqueued_at=enqueued_at, varchar=varchar), params
