"""Vendor SQL that claims due jobs: one atomic statement that also counts the attempt.

PostgreSQL: ``UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED)``, so competing
workers never wait for or take each other's rows. SQLite: one
``UPDATE ... WHERE id IN (SELECT ... LIMIT n)``; SQLite has one writer, so the
statement is atomic; its own status check is written ``+status`` so that SQLite finds
the picked rows by primary key instead of walking every READY row through an index
on ``status``, and so is the check of ``claim_jobs_by_id`` (huey mode's messages name
their jobs) on SQLite and PostgreSQL (``plans.by_key_only``). Other vendors:
``SELECT ... SKIP LOCKED`` and an ``UPDATE`` in one transaction. Every path appends
the worker id in the same write that increments ``attempts``.
"""

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import NotImplementedType
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Value
from django.db.models.base import ModelState
from django.db.models.functions import Coalesce

from django_jobs.models import Job
from django_jobs.status import JobStatus
from django_jobs.store.batch import padded
from django_jobs.store.plans import by_key_only
from django_jobs.store.write_turn import write_turn


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    backend_name: str
    worker_id: str
    limit: int
    lease_seconds: float
    now: datetime
    queues: Sequence[str] | None = None  # None: every queue
    paused: Sequence[str] = ()

    @property
    def lease_expires_at(self) -> datetime:
        return self.now + timedelta(seconds=self.lease_seconds)


def _queue_filter(request: ClaimRequest) -> tuple[str, list[Any]]:
    sql, params = "", []
    if request.queues is not None:
        sql += f" AND queue_name IN ({', '.join(['%s'] * len(request.queues))})"
        params += list(request.queues)
    if request.paused:
        sql += f" AND queue_name NOT IN ({', '.join(['%s'] * len(request.paused))})"
        params += list(request.paused)
    return sql, params


def _pick_sql(table: str, request: ClaimRequest, ops: Any, suffix: str = "") -> tuple[str, list]:
    queue_sql, queue_params = _queue_filter(request)
    sql = (
        f"SELECT id FROM {table} WHERE status = 'READY' AND backend_name = %s{queue_sql}"
        f" AND run_after <= %s ORDER BY priority DESC, run_after, id LIMIT %s{suffix}"
    )
    now = ops.adapt_datetimefield_value(request.now)
    return sql, [request.backend_name, *queue_params, now, request.limit]


def _set_params(request: ClaimRequest, ops: Any) -> list[Any]:
    now = ops.adapt_datetimefield_value(request.now)
    lease = ops.adapt_datetimefield_value(request.lease_expires_at)
    return [request.worker_id, request.worker_id, now, now, lease]


# What a claim sets, per vendor: counts the attempt and appends the worker id in one write.
SET_CLAIMED = {
    "postgresql": "SET status = 'RUNNING', attempts = j.attempts + 1, "
    "worker_ids = j.worker_ids || jsonb_build_array(%s::text), worker_id = %s, "
    "started_at = COALESCE(j.started_at, %s), last_attempted_at = %s, lease_expires_at = %s",
    "sqlite": "SET status = 'RUNNING', attempts = attempts + 1, "
    "worker_ids = json_insert(worker_ids, '$[#]', %s), worker_id = %s, "
    "started_at = COALESCE(started_at, %s), last_attempted_at = %s, lease_expires_at = %s",
}


def _claim_postgresql(table: str, request: ClaimRequest, ops: Any) -> tuple[str, list[Any]]:
    pick, pick_params = _pick_sql(table, request, ops, " FOR UPDATE SKIP LOCKED")
    sql = (
        f"WITH picked AS ({pick}) UPDATE {table} AS j {SET_CLAIMED['postgresql']} "
        f"FROM picked WHERE j.id = picked.id RETURNING {_returning(ops, 'j.')}"
    )
    return sql, [*pick_params, *_set_params(request, ops)]


def _claim_sqlite(table: str, request: ClaimRequest, ops: Any) -> tuple[str, list[Any]]:
    pick, pick_params = _pick_sql(table, request, ops)
    sql = (
        f"UPDATE {table} {SET_CLAIMED['sqlite']} "
        f"WHERE +status = 'READY' AND id IN ({pick}) RETURNING {_returning(ops)}"
    )
    return sql, [*_set_params(request, ops), *pick_params]


def claim_jobs_by_id(
    using: str, job_ids: Sequence[Any], request: ClaimRequest, *, due_only: bool
) -> list[Job] | NotImplementedType:
    """Claim the READY jobs among ``job_ids`` in one statement; ``NotImplemented`` on
    other vendors. Jobs already claimed, finished or (with ``due_only``) not yet due
    are left alone: a queue message delivered twice claims its job once."""
    connection = connections[using]
    if connection.vendor not in SET_CLAIMED:
        return NotImplemented
    ops = connection.ops
    table = ops.quote_name(Job._meta.db_table)
    alias = "j" if connection.vendor == "postgresql" else table
    due = f" AND {alias}.run_after <= %s" if due_only else ""
    status = by_key_only(connection.vendor, f"{alias}.status")
    prep_id = Job._meta.pk.get_db_prep_value
    ids = [prep_id(job_id, connection) for job_id in job_ids]
    if connection.vendor == "postgresql":  # one array: one text, which psycopg parses once
        id_sql, id_params = "j.id = ANY(%s::uuid[])", [ids]
    else:  # SQLite keeps a compiled statement per text: one per power of two
        ids = padded(ids, None)
        id_sql, id_params = f"{alias}.id IN ({', '.join(['%s'] * len(ids))})", ids
    sql = (
        f"UPDATE {table}{' AS j' if alias == 'j' else ''} {SET_CLAIMED[connection.vendor]} "
        f"WHERE {id_sql} AND {status} = 'READY'{due} "
        f"RETURNING {_returning(ops, 'j.' if alias == 'j' else '')}"
    )
    params = [
        *_set_params(request, ops),
        *id_params,
        *([ops.adapt_datetimefield_value(request.now)] if due_only else []),
    ]
    return _claimed_jobs(using, sql, params)


def _claim_generic(using: str, request: ClaimRequest) -> list[Any]:
    with transaction.atomic(using=using):
        picked = Job.objects.using(using).due(request.now).filter(backend_name=request.backend_name)
        if request.queues is not None:
            picked = picked.filter(queue_name__in=request.queues)
        picked = picked.exclude(queue_name__in=request.paused).order_by(
            "-priority", "run_after", "id"
        )
        locked = picked.select_for_update(skip_locked=True).only("id", "worker_ids")
        jobs = list(locked[: request.limit])
        for job in jobs:
            Job.objects.using(using).filter(pk=job.pk).update(
                status=JobStatus.RUNNING,
                attempts=F("attempts") + 1,
                worker_ids=[*job.worker_ids, request.worker_id],
                worker_id=request.worker_id,
                started_at=Coalesce("started_at", Value(request.now)),
                last_attempted_at=request.now,
                lease_expires_at=request.lease_expires_at,
            )
        return [job.pk for job in jobs]


VENDOR_CLAIMS = {"postgresql": _claim_postgresql, "sqlite": _claim_sqlite}


def claim_jobs(using: str, request: ClaimRequest) -> list[Job]:
    """Claim up to ``request.limit`` due jobs and return them as claimed.

    On PostgreSQL and SQLite the claiming statement returns the claimed rows
    themselves (``RETURNING``): one round trip per batch of jobs.
    """
    connection = connections[using]
    vendor_claim = VENDOR_CLAIMS.get(connection.vendor)
    if vendor_claim is None:
        ids = _claim_generic(using, request)
        return list(Job.objects.using(using).filter(pk__in=ids)) if ids else []
    sql, params = vendor_claim(
        connection.ops.quote_name(Job._meta.db_table), request, connection.ops
    )
    return _claimed_jobs(using, sql, params)


_COLUMN_LISTS: dict[tuple[str, str], str] = {}


def _returning(ops: Any, prefix: str = "") -> str:
    """Every column, in field order, so rows become ``Job`` instances without a lookup."""
    key = (ops.connection.vendor, prefix)
    if key not in _COLUMN_LISTS:
        fields = Job._meta.concrete_fields
        _COLUMN_LISTS[key] = ", ".join(prefix + ops.quote_name(field.column) for field in fields)
    return _COLUMN_LISTS[key]


def _claimed_jobs(using: str, sql: str, params: list[Any]) -> list[Job]:
    """The rows a claiming statement returned, as the ORM would load them.

    ``raw()`` would do the same, but works out the column-to-field mapping and the
    converters again for every batch, which costs more than a one-job claim itself.
    """
    connection = connections[using]
    with write_turn(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(connection)
    return [_loaded(using, row, converters) for row in rows]


_ATTNAMES = [field.attname for field in Job._meta.concrete_fields]
Converter = Callable[[Any], Any]


def _loaded(using: str, row: Sequence[Any], converters: list[tuple[str, Converter]]) -> Job:
    """The job ``Model.from_db`` would build from ``row``, without ``Model.__init__``.

    Its general checks and init signals cost as much as the claim statement's share of
    a job; ``Job.fresh`` and ``inserts.alike_jobs`` skip them alike (as unpickling does).
    """
    values = dict(zip(_ATTNAMES, row, strict=True))
    for attname, convert in converters:
        values[attname] = convert(values[attname])
    job = Job.__new__(Job)
    job.__dict__.update(values, _state=ModelState())
    job._state.adding, job._state.db = False, using
    return job


_CONVERTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _converters(connection: Any) -> list[tuple[str, Converter]]:
    """Per column that has any: the backend's converters, then the field's (``SQLCompiler``
    order), as one function of the value. Worked out again if ``USE_TZ`` changes."""
    use_tz = settings.USE_TZ
    cached = _CONVERTERS.get(connection)
    if cached is not None and cached[0] == use_tz:
        return cached[1]
    found = []
    for field in Job._meta.concrete_fields:
        column = field.get_col(Job._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if not functions:
            continue
        convert = _applying(functions, column, connection)
        if use_tz and functions == [getattr(connection.ops, "convert_datetimefield_value", None)]:
            convert = _aware_or(convert, connection.timezone)
        found.append((field.attname, convert))
    _CONVERTERS[connection] = (use_tz, found)
    return found


def _applying(functions: list[Any], column: Any, connection: Any) -> Converter:
    def convert(value: Any) -> Any:
        for function in functions:
            value = function(value, column, connection)
        return value

    return convert


def _aware_or(convert: Converter, tz: Any) -> Converter:
    """A naive datetime made aware in ``tz``, anything else left to ``convert``.

    What SQLite's converter does to the naive datetimes its driver returns, without
    looking up the settings and the time zone for each: a claimed job has five of them.
    """

    def aware(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is None:
            return value.replace(tzinfo=tz)
        return convert(value)

    return aware
