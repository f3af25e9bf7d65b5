"""Enqueue's INSERTs, built once per database vendor instead of by ``Model.save()``.

One job: a single INSERT (on PostgreSQL carrying the NOTIFY that wakes idle
workers). ``enqueue_many``: rows that share every column but id and arguments,
adapted once, written by one ``executemany`` (SQLite) or a few
``INSERT ... SELECT FROM unnest`` statements (PostgreSQL). Values are adapted by
their model fields as the ORM would.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction

from django_jobs.ids import new_job_ids
from django_jobs.models import Job

WAKE_CHANNEL = "django_jobs"  # what idle database-mode workers LISTEN on (PostgreSQL)


def insert_job(using: str, job: Job, *, wake: str | None = None) -> None:
    """INSERT ``job`` (its primary key already set) with the INSERT built once per vendor.

    ``Model.save()`` would compile the same statement again on every enqueue. Columns
    whose value is None are left out: NULL is their default, and a fresh job has a
    dozen of them, which the database would otherwise parse and the driver quote on
    every enqueue. With ``wake`` (a backend alias) on PostgreSQL, the same statement
    also NOTIFYs that backend's idle workers: one round trip, delivered on commit,
    dropped on rollback.
    """
    connection = connections[using]
    present, params = [], []
    for index, field in enumerate(Job._meta.concrete_fields):
        value = getattr(job, field.attname)
        if value is not None:
            present.append(index)
            params.append(field.get_db_prep_save(value, connection))
    sql = _insert_sql(connection, tuple(present))
    if wake is not None and connection.vendor == "postgresql":
        sql = f"WITH inserted AS ({sql} RETURNING 1) SELECT pg_notify(%s, %s) FROM inserted"
        params += [WAKE_CHANNEL, wake]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    job._state.adding = False
    job._state.db = using


def insert_alike(
    using: str, template: Job, arguments: Sequence[tuple[Any, Any, str, str]]
) -> list[Job]:
    """INSERT one job per ``(args, kwargs, args_json, kwargs_json)``, else like ``template``.

    ``enqueue_many`` stores thousands of jobs that differ only in id and arguments:
    every other column is adapted once, the arguments are stored as the JSON text
    their check already made, and each ``Job`` is built from its values
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
    for (args, kwargs, args_json, kwargs_json), job_id in zip(
        arguments, new_job_ids(len(arguments)), strict=True
    ):
        job_values, row = values.copy(), prepped.copy()
        for i in mutable:  # each job its own errors, worker_ids... lists
            job_values[i] = values[i].copy()
        job_values[pk] = job_id
        job_values[args_at], job_values[kwargs_at] = args, kwargs
        row[pk] = fields[pk].get_db_prep_save(job_values[pk], connection)
        row[args_at], row[kwargs_at] = args_json, kwargs_json
        jobs.append(Job.from_db(using, attnames, job_values))
        rows.append(row)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _insert_unnest(cursor, prepped, rows, varying=(pk, args_at, kwargs_at))
        else:
            cursor.executemany(_insert_sql(connection), rows)
    return jobs


UNNEST_ROWS = 2000  # rows per INSERT ... SELECT FROM unnest(...) on PostgreSQL


def _insert_unnest(
    cursor: Any, constants: list[Any], rows: list[list[Any]], *, varying: tuple[int, ...]
) -> None:
    """INSERT ``rows`` a few thousand per statement: constant columns once, the rest as arrays.

    Django's PostgreSQL cursors bind parameters client-side, so ``executemany`` sends
    every row as a statement of its own that the server parses and plans again, and
    quotes all 27 values per row on the way: one statement per ``UNNEST_ROWS`` rows
    unnests the columns that differ (id, args, kwargs) instead.
    """
    sql = _insert_unnest_sql(cursor.db, varying)
    once = [value for i, value in enumerate(constants) if i not in varying]
    for start in range(0, len(rows), UNNEST_ROWS):
        chunk = rows[start : start + UNNEST_ROWS]
        cursor.execute(sql, [*once, *([row[i] for row in chunk] for i in varying)])


def _insert_unnest_sql(connection: Any, varying: tuple[int, ...]) -> str:
    """``INSERT INTO job (...) SELECT %s::type, ..., batch.id, ... FROM unnest(%s::uuid[], ...)``"""
    quote = connection.ops.quote_name
    fields = Job._meta.concrete_fields
    columns = [quote(str(field.column)) for field in fields]
    select = ", ".join(
        f"batch.{columns[i]}" if i in varying else f"%s::{field.cast_db_type(connection)}"
        for i, field in enumerate(fields)
    )
    arrays = ", ".join(f"%s::{fields[i].cast_db_type(connection)}[]" for i in varying)
    names = ", ".join(columns[i] for i in varying)
    return (
        f"INSERT INTO {quote(Job._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {select} FROM unnest({arrays}) AS batch({names})"
    )


_INSERT_SQL: dict[tuple[str, tuple[int, ...] | None], str] = {}


def _insert_sql(connection: Any, present: tuple[int, ...] | None = None) -> str:
    """The INSERT of the columns at ``present`` (field order; None: all), built once each."""
    key = (connection.vendor, present)
    if key not in _INSERT_SQL:
        quote = connection.ops.quote_name
        every = Job._meta.concrete_fields
        fields = every if present is None else [every[index] for index in present]
        columns = ", ".join(quote(str(field.column)) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        _INSERT_SQL[key] = (
            f"INSERT INTO {quote(Job._meta.db_table)} ({columns}) VALUES ({placeholders})"
        )
    return _INSERT_SQL[key]
