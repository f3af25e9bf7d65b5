"""Raw SQL for writes done in batches, where the ORM's per-statement cost dominates.

Used by the group commit of successful outcomes (``acks.py``): one fenced UPDATE
per job, all in one transaction, each checked for the row it changed; and by
``enqueue_many``: one prepared INSERT run for every job (``executemany``), with
each value adapted by its model field as the ORM would, but without building
SQL text with thousands of placeholders.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.status import JobStatus

SUCCESS = (
    "UPDATE {table} SET status = %s, finished_at = %s, return_value = %s, "
    "active_unique_key = NULL, worker_id = NULL, lease_expires_at = NULL "
    "WHERE id = %s AND status = %s AND attempts = %s AND worker_id = %s"
)


def write_successes(using: str, outcomes: Sequence[tuple[Job, Any]]) -> set[Any]:
    """Mark each (job, return value) SUCCESSFUL if this run still owns it; the ids written.

    The fence is the same as for single writes (status RUNNING, same attempt, same
    worker). Written jobs get their new field values, as ``JobStore`` writes do.
    """
    connection = connections[using]
    meta = Job._meta
    sql = SUCCESS.format(table=connection.ops.quote_name(meta.db_table))
    now = timezone.now()
    finished_at = connection.ops.adapt_datetimefield_value(now)
    value_field = meta.get_field("return_value")
    written = set()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for job, value in outcomes:
            cursor.execute(
                sql,
                [
                    JobStatus.SUCCESSFUL,
                    finished_at,
                    value_field.get_db_prep_save(value, connection),
                    meta.pk.get_db_prep_value(job.pk, connection),
                    JobStatus.RUNNING,
                    job.attempts,
                    job.worker_id,
                ],
            )
            if cursor.rowcount == 1:
                written.add(job.pk)
    for job, value in outcomes:
        if job.pk in written:
            job.status, job.finished_at, job.return_value = JobStatus.SUCCESSFUL, now, value
            job.active_unique_key = job.worker_id = job.lease_expires_at = None
    return written


def insert_jobs(using: str, jobs: Sequence[Job]) -> None:
    """INSERT ``jobs`` (their primary keys already set) with one prepared statement."""
    connection = connections[using]
    fields = Job._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(Job._meta.db_table)} ({columns}) "
        f"VALUES ({placeholders})"
    )
    rows = [
        [field.get_db_prep_save(getattr(job, field.attname), connection) for field in fields]
        for job in jobs
    ]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    for job in jobs:
        job._state.adding = False
        job._state.db = using
