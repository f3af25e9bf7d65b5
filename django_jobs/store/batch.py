"""The group commit's write: a whole batch of successes in one fenced statement.

Each finished job must be recorded only if its run still owns it (status RUNNING,
same attempt, same worker). ``acks.py`` gathers the successes of a worker's
threads; this writes them with one ``UPDATE ... FROM (VALUES ...) RETURNING`` (on
PostgreSQL ``FROM unnest(arrays)``) and reports which rows won the fence, without the
ORM's per-statement cost.
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
# joins each row with its own values, and RETURNING says which rows won it. PostgreSQL
# gets the batch as four arrays: one text for every batch size, which psycopg parses
# once (it parses again each statement with more than 50 parameters).
SUCCESS_MANY_POSTGRESQL = (
    "UPDATE {table} AS j "
    + SUCCESS_SET.format(value="v.return_value")
    + " FROM unnest(%s::uuid[], %s::integer[], %s::text[], %s::jsonb[])"
    " AS v (id, attempts, worker_id, return_value)"
    " WHERE j.id = v.id AND j.status = 'RUNNING' AND j.attempts = v.attempts"
    " AND j.worker_id = v.worker_id RETURNING j.id"
)
SUCCESS_MANY_SQLITE = (
    "UPDATE {table} "
    + SUCCESS_SET.format(value="v.column4")
    + " FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1"
    " AND {table}.status = 'RUNNING' AND {table}.attempts = v.column2"
    " AND {table}.worker_id = v.column3 RETURNING id"
)
SUCCESS_ONE = (
    "UPDATE {table} "
    + SUCCESS_SET.format(value="%s")
    + " WHERE id = %s AND status = 'RUNNING' AND attempts = %s AND worker_id = %s"
)
ROWS_PER_STATEMENT = 512  # far below every vendor's limit on parameters
NO_ROW = (None, None, None, None)  # matches no job: pads a batch to its statement's size


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
    if connection.vendor == "postgresql":
        written_db_ids = _write_as_arrays(connection, table, finished_at, rows)
    elif connection.vendor == "sqlite":
        written_db_ids = _write_in_statements(connection, table, finished_at, rows)
    else:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            written_db_ids = _write_one_by_one(
                cursor, SUCCESS_ONE.format(table=table), finished_at, rows
            )
    written = {by_db_id[db_id].pk for db_id in written_db_ids}
    for job, value in outcomes:
        if job.pk in written:
            job.status, job.finished_at, job.return_value = JobStatus.SUCCESSFUL, now, value
            job.active_unique_key = job.worker_id = job.lease_expires_at = None
    return written


def _write_as_arrays(connection: Any, table: str, finished_at: Any, rows: list[tuple]) -> set[Any]:
    """One fenced statement, row by row, so the batch needs no transaction around it."""
    with connection.cursor() as cursor:
        columns = [list(column) for column in zip(*rows, strict=True)]
        cursor.execute(SUCCESS_MANY_POSTGRESQL.format(table=table), [finished_at, *columns])
        return {db_id for (db_id,) in cursor.fetchall()}


def _write_in_statements(
    connection: Any, table: str, finished_at: Any, rows: list[tuple]
) -> set[Any]:
    """Each statement is fenced row by row, so a batch needs no transaction around it."""
    written: set[Any] = set()
    with write_turn(connection), connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = padded(rows[start : start + ROWS_PER_STATEMENT], NO_ROW)
            cursor.execute(
                SUCCESS_MANY_SQLITE.format(
                    table=table, rows=", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                ),
                [finished_at, *(value for row in chunk for value in row)],
            )
            written.update(db_id for (db_id,) in cursor.fetchall())
    return written


def padded(items: list[Any], filler: Any) -> list[Any]:
    """``items`` filled up to a power of two with ``filler`` (a value that matches no row).

    Every count of rows or ids is another statement text, and SQLite keeps each one
    compiled per connection: batches of every size from 1 to 512 made a worker's memory
    grow for as long as new sizes turned up. Padded, a connection sees one per power of two.
    """
    size = 1 << (len(items) - 1).bit_length()
    return items + [filler] * (size - len(items))


def _write_one_by_one(cursor: Any, sql: str, finished_at: Any, rows: list[tuple]) -> set[Any]:
    written = set()
    for db_id, attempts, worker_id, value in rows:
        cursor.execute(sql, [finished_at, value, db_id, attempts, worker_id])
        if cursor.rowcount == 1:
            written.add(db_id)
    return written
