"""Enqueue's INSERTs, built once per database vendor instead of by ``Model.save()``.

One job: a single INSERT (on PostgreSQL carrying the NOTIFY that wakes idle
workers). ``enqueue_many``: rows that share every column but id and arguments,
adapted once, written by a few ``INSERT ... SELECT`` statements that take the
columns which differ as arrays (PostgreSQL's ``unnest``, SQLite's ``json_each``).
Values are adapted by their model fields as the ORM would.
"""

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction
from django.db.models.base import ModelState

from django_jobs.models import Job
from django_jobs.store.server_binding import server_bound_cursor

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
    with server_bound_cursor(connection) as cursor:
        cursor.execute(sql, params)
    job._state.adding = False
    job._state.db = using


def insert_alike(
    using: str,
    template: Job,
    arguments: Sequence[tuple[Any, Any, str, str]],
    ids: Sequence[uuid.UUID],
) -> None:
    """INSERT one job per ``(args, kwargs, args_json, kwargs_json)`` under the id of the
    same place in ``ids``, else like ``template``.

    ``enqueue_many`` stores thousands of jobs that differ only in id and arguments:
    every other column is adapted once and the arguments are stored as the JSON
    text their check already made. No ``Job`` object is built, as database mode
    needs none (``alike_jobs`` makes them where a backend does).
    """
    connection = connections[using]
    fields = Job._meta.concrete_fields
    prepped = [
        field.get_db_prep_save(getattr(template, field.attname), connection) for field in fields
    ]
    attnames = [field.attname for field in fields]
    varying = tuple(attnames.index(name) for name in ("id", "args", "kwargs"))
    key = fields[varying[0]]
    rows = [
        (key.get_db_prep_save(job_id, connection), args_json, kwargs_json)
        for job_id, (_, _, args_json, kwargs_json) in zip(ids, arguments, strict=True)
    ]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor in INSERT_SELECT_VENDORS:
            _insert_columns(cursor, prepped, rows, varying=varying)
        else:
            cursor.executemany(
                _insert_sql(connection), [_whole(prepped, row, varying) for row in rows]
            )


def alike_jobs(
    using: str, template: Job, ids: Sequence[uuid.UUID], arguments: Sequence[tuple[Any, ...]]
) -> list[Job]:
    """The ``Job`` objects of the rows ``insert_alike`` stored, each with its own lists.

    Copies of ``template`` as ``copy.copy`` makes them (no ``__init__``, so no
    init signals, as when Django unpickles a model), in a quarter of the time
    ``Model.from_db`` takes to build each from its values.
    """
    shared = {
        field.attname: getattr(template, field.attname) for field in Job._meta.concrete_fields
    }
    mutable = [  # errors, worker_ids...: each job gets its own
        name
        for name, value in shared.items()
        if isinstance(value, list | dict) and name not in ("args", "kwargs")
    ]
    jobs = []
    for job_id, (args, kwargs, *_) in zip(ids, arguments, strict=True):
        job = Job.__new__(Job)
        job.__dict__.update(shared, id=job_id, args=args, kwargs=kwargs, _state=ModelState())
        for name in mutable:
            job.__dict__[name] = shared[name].copy()
        job._state.adding, job._state.db = False, using
        jobs.append(job)
    return jobs


INSERT_SELECT_VENDORS = ("postgresql", "sqlite")  # others: ``executemany`` of whole rows
ROWS_PER_INSERT = 2000  # rows per INSERT ... SELECT of the varying columns


def _insert_columns(
    cursor: Any, constants: list[Any], rows: list[tuple[Any, ...]], *, varying: tuple[int, ...]
) -> None:
    """INSERT ``rows`` (the ``varying`` columns' values) a few thousand per statement.

    ``executemany`` would bind all 27 values of every row: Django's PostgreSQL
    cursors quote them client-side and send each row as a statement the server
    parses and plans again, and SQLite's driver converts each one. Here the
    ``constants`` are bound once, and the columns that differ (id, args, kwargs)
    travel as arrays that PostgreSQL unnests, or as one JSON text that SQLite
    walks with ``json_each`` (which gives back each value's text as it was).
    """
    sql = _insert_select_sql(cursor.db, varying)
    once = [value for i, value in enumerate(constants) if i not in varying]
    postgresql = cursor.db.vendor == "postgresql"
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        if postgresql:
            cursor.execute(sql, [*once, *(list(column) for column in zip(*chunk, strict=True))])
        else:
            cursor.execute(sql, [*once, json.dumps(chunk)])


def _whole(constants: list[Any], row: tuple[Any, ...], varying: tuple[int, ...]) -> list[Any]:
    """All columns of a row: ``constants`` with the ``varying`` ones from ``row``."""
    whole = constants.copy()
    for i, value in zip(varying, row, strict=True):
        whole[i] = value
    return whole


def _insert_select_sql(connection: Any, varying: tuple[int, ...]) -> str:
    """``INSERT INTO job (...) SELECT <constant params>, <batch columns> FROM <batch>``.

    The batch is ``unnest(%s::uuid[], ...) AS batch(id, ...)`` on PostgreSQL and
    ``json_each(%s) AS batch``, one ``[id, args, kwargs]`` array per row, on SQLite.
    """
    quote = connection.ops.quote_name
    fields = Job._meta.concrete_fields
    columns = [quote(str(field.column)) for field in fields]
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        from_batch = {i: f"batch.{columns[i]}" for i in varying}
        arrays = ", ".join(f"%s::{fields[i].cast_db_type(connection)}[]" for i in varying)
        names = ", ".join(columns[i] for i in varying)
        batch = f"unnest({arrays}) AS batch({names})"
    else:
        from_batch = {i: f"json_extract(batch.value, '$[{n}]')" for n, i in enumerate(varying)}
        batch = "json_each(%s) AS batch"
    select = ", ".join(
        from_batch[i]
        if i in varying
        else (f"%s::{field.cast_db_type(connection)}" if postgresql else "%s")
        for i, field in enumerate(fields)
    )
    return (
        f"INSERT INTO {quote(Job._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {select} FROM {batch}"
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
