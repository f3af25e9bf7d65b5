"""Raw SQL for the writes on every job's path, where the ORM's per-statement cost dominates.

The group commit of successful outcomes (``acks.py``): one fenced UPDATE for a
whole batch of jobs, returning the rows that won the fence. Enqueue: one
INSERT built once, run for a single job, or for every job of ``enqueue_many``
(``executemany``) with the columns the jobs share adapted once; values are
adapted by their model fields as the ORM would. Huey mode's mark of a published
job.
"""

import os
import uuid
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


WAKE_CHANNEL = "django_jobs"  # what idle database-mode workers LISTEN on (PostgreSQL)


def insert_job(using: str, job: Job, *, wake: str | None = None) -> None:
    """INSERT ``job`` (its primary key already set) with the INSERT built once per vendor.

    ``Model.save()`` would compile the same statement again on every enqueue. With
    ``wake`` (a backend alias) on PostgreSQL, the same statement also NOTIFYs that
    backend's idle workers: one round trip, delivered on commit, dropped on rollback.
    """
    connection = connections[using]
    sql = _insert_sql(connection)
    params = [
        field.get_db_prep_save(getattr(job, field.attname), connection)
        for field in Job._meta.concrete_fields
    ]
    if wake is not None and connection.vendor == "postgresql":
        sql = f"WITH inserted AS ({sql} RETURNING 1) SELECT pg_notify(%s, %s) FROM inserted"
        params += [WAKE_CHANNEL, wake]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    job._state.adding = False
    job._state.db = using


def new_ids(count: int) -> list[uuid.UUID]:
    """``count`` random (version 4) UUIDs, as ``Job.id``'s default makes them.

    One read of the OS's random source for all of them, not one system call per id.
    """
    random = os.urandom(16 * count)
    return [uuid.UUID(bytes=random[i : i + 16], version=4) for i in range(0, 16 * count, 16)]


def insert_alike(using: str, template: Job, arguments: Sequence[tuple[Any, Any]]) -> list[Job]:
    """INSERT one job per ``(args, kwargs)``, equal to ``template`` in every other field.

    ``enqueue_many`` stores thousands of jobs that differ only in id and arguments:
    every other column is adapted once, and each ``Job`` is built from its values
    (``Model.from_db``) instead of through keyword ``__init__`` and 27 adaptations.
    """
    connection = connections[using]
    fields = Job._meta.concrete_fields
    attnames = [field.attname for field in fields]
    values = [getattr(template, name) for name in attnames]
    prepped = [
        field.get_db_prep_save(v, connection) for field, v in zip(fields, values, strict=True)
    ]
    mutable = [i for i, value in enumerate(values) if isinstance(value, list | dict)]
    pk, args_at, kwargs_at = (attnames.index(name) for name in ("id", "args", "kwargs"))
    jobs, rows = [], []
    for (args, kwargs), job_id in zip(arguments, new_ids(len(arguments)), strict=True):
        job_values, row = values.copy(), prepped.copy()
        for i in mutable:  # each job its own errors, worker_ids... lists
            job_values[i] = values[i].copy()
        job_values[pk] = job_id
        job_values[args_at], job_values[kwargs_at] = args, kwargs
        row[pk] = fields[pk].get_db_prep_save(job_values[pk], connection)
        row[args_at] = fields[args_at].get_db_prep_save(args, connection)
        row[kwargs_at] = fields[kwargs_at].get_db_prep_save(kwargs, connection)
        jobs.append(Job.from_db(using, attnames, job_values))
        rows.append(row)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.executemany(_insert_sql(connection), rows)
    return jobs


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
