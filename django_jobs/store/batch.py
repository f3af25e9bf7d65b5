"""Raw SQL for the writes on every job's path, where the ORM's per-statement cost dominates.

The group commit of successful outcomes (``acks.py``): one fenced UPDATE for a
whole batch of jobs, returning the rows that won the fence. Enqueue: one
prepared INSERT, run once for a single job and for every job of
``enqueue_many`` (``executemany``), with each value adapted by its model field as
the ORM would, but without compiling SQL per call. Huey mode's mark of a
published job.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.status import JobStatus
from django_jobs.store.write_turn import write_turn

SUCCESS_SET = (
    "SET status = 'SUCCESSFUL', finished_at = %s, return_value = {value}, "
    "active_unique_key = NULL, worker_id = NULL, lease_expires_at = NULL"
)
# One statement for a whole batch: the fence (status RUNNING, same attempt, same worker)
# joins each row with its own values, and RETURNING says which rows won it.
SUCCESS_MANY = {
    "postgresql": (
        "UPDATE {table} AS j "
        + SUCCESS_SET.format(value="v.return_value")
        + " FROM (VALUES {rows}) AS v (id, attempts, worker_id, return_value)"
        " WHERE j.id = v.id AND j.status = 'RUNNING' AND j.attempts = v.attempts"
        " AND j.worker_id = v.worker_id RETURNING j.id",
        "(%s::uuid, %s::integer, %s::text, %s::jsonb)",
    ),
    "sqlite": (
        "UPDATE {table} "
        + SUCCESS_SET.format(value="v.column4")
        + " FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1"
        " AND {table}.status = 'RUNNING' AND {table}.attempts = v.column2"
        " AND {table}.worker_id = v.column3 RETURNING id",
        "(%s, %s, %s, %s)",
    ),
}
SUCCESS_ONE = (
    "UPDATE {table} "
    + SUCCESS_SET.format(value="%s")
    + " WHERE id = %s AND status = 'RUNNING' AND attempts = %s AND worker_id = %s"
)
ROWS_PER_STATEMENT = 500  # far below every vendor's limit on parameters


def write_successes(using: str, outcomes: Sequence[tuple[Job, Any]]) -> set[Any]:
    """Mark each (job, return value) SUCCESSFUL if this run still owns it; the ids written.

    The fence is the same as for single writes (status RUNNING, same attempt, same
    worker). PostgreSQL and SQLite write a batch in one statement; other vendors
    run one fenced UPDATE per job in one transaction. Written jobs get their new
    field values, as ``JobStore`` writes do.
    """
    connection = connections[using]
    meta = Job._meta
    table = connection.ops.quote_name(meta.db_table)
    now = timezone.now()
    finished_at = connection.ops.adapt_datetimefield_value(now)
    value_field = meta.get_field("return_value")
    db_ids = [meta.pk.get_db_prep_value(job.pk, connection) for job, _ in outcomes]
    by_db_id = dict(zip(db_ids, (job for job, _ in outcomes), strict=True))
    rows = [
        (db_id, job.attempts, job.worker_id, value_field.get_db_prep_save(value, connection))
        for db_id, (job, value) in zip(db_ids, outcomes, strict=True)
    ]
    many = SUCCESS_MANY.get(connection.vendor)
    if many is None:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            written_db_ids = _write_one_by_one(
                cursor, SUCCESS_ONE.format(table=table), finished_at, rows
            )
    else:
        written_db_ids = _write_in_statements(connection, many, table, finished_at, rows)
    written = {by_db_id[db_id].pk for db_id in written_db_ids}
    for job, value in outcomes:
        if job.pk in written:
            job.status, job.finished_at, job.return_value = JobStatus.SUCCESSFUL, now, value
            job.active_unique_key = job.worker_id = job.lease_expires_at = None
    return written


def _write_in_statements(
    connection: Any, many: tuple[str, str], table: str, finished_at: Any, rows: list[tuple]
) -> set[Any]:
    """Each statement is fenced row by row, so a batch needs no transaction around it."""
    sql, row_sql = many
    written: set[Any] = set()
    with write_turn(connection), connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                sql.format(table=table, rows=", ".join([row_sql] * len(chunk))),
                [finished_at, *(value for row in chunk for value in row)],
            )
            written.update(db_id for (db_id,) in cursor.fetchall())
    return written


def _write_one_by_one(cursor: Any, sql: str, finished_at: Any, rows: list[tuple]) -> set[Any]:
    written = set()
    for db_id, attempts, worker_id, value in rows:
        cursor.execute(sql, [finished_at, value, db_id, attempts, worker_id])
        if cursor.rowcount == 1:
            written.add(db_id)
    return written


def insert_jobs(using: str, jobs: Sequence[Job]) -> None:
    """INSERT ``jobs`` (their primary keys already set) with one prepared statement.

    Also used for a single job: the statement text is built once per vendor, where
    ``Model.save()`` compiles its INSERT anew each time.
    """
    connection = connections[using]
    fields = Job._meta.concrete_fields
    rows = [
        [field.get_db_prep_save(getattr(job, field.attname), connection) for field in fields]
        for job in jobs
    ]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(_insert_sql(connection), rows[0])
        else:
            with transaction.atomic(using=using):
                cursor.executemany(_insert_sql(connection), rows)
    for job in jobs:
        job._state.adding = False
        job._state.db = using


MARK_DISPATCHED = "UPDATE {table} SET dispatched_at = %s WHERE id = %s AND status = 'READY'"


def mark_dispatched(using: str, job_id: Any) -> None:
    """Record that a READY job's message was published (huey mode's outbox)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            MARK_DISPATCHED.format(table=connection.ops.quote_name(Job._meta.db_table)),
            [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                Job._meta.pk.get_db_prep_value(job_id, connection),
            ],
        )


_INSERT_SQL: dict[str, str] = {}


def _insert_sql(connection: Any) -> str:
    """The INSERT of every column, built once per database vendor."""
    if connection.vendor not in _INSERT_SQL:
        quote = connection.ops.quote_name
        fields = Job._meta.concrete_fields
        columns = ", ".join(quote(str(field.column)) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        _INSERT_SQL[connection.vendor] = (
            f"INSERT INTO {quote(Job._meta.db_table)} ({columns}) VALUES ({placeholders})"
        )
    return _INSERT_SQL[connection.vendor]
