"""Job list filters whose choices cost no scan of the job table.

Django's field filters list a column's distinct values with ``SELECT DISTINCT``
over every row; on a million jobs that is a full scan per page view. These take
their choices from settings and from the statuses themselves instead; only the
task filter reads the table, through the ``(task_path, enqueued_at)`` index.
"""

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db import connections, router
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.models.job import JobQuerySet
from django_jobs.stats import configured_queues

# The job list's ``state`` parameter: statuses, with READY split by its run_after.
STATES = {
    "due": "Ready (due)",
    "scheduled": "Scheduled (run after is later)",
    "running": "Running",
    "successful": "Successful",
    "failed": "Failed",
    "cancelled": "Cancelled",
}

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}


def jobs_in_state(queryset: JobQuerySet, state: str) -> QuerySet[Job]:
    """Narrow ``queryset`` to one of ``STATES``."""
    if state == "due":
        return queryset.due()
    if state == "scheduled":
        return queryset.scheduled()
    return queryset.filter(status=state.upper())


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(STATES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        state = self.value()
        if state not in STATES:
            return queryset
        return jobs_in_state(queryset, state)  # type: ignore[arg-type]  # Job's queryset


class FinishedWithinFilter(admin.SimpleListFilter):
    title = "finished within"
    parameter_name = "finished_within"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, f"the last {key}") for key in WINDOWS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        window = WINDOWS.get(self.value() or "")
        if window is None:
            return queryset
        return queryset.filter(finished_at__gte=timezone.now() - window)


class ExactValueFilter(admin.SimpleListFilter):
    """Filter on one column's exact value, with choices supplied by ``choices()``."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        value = self.value()
        if not value:
            return queryset
        if not storable(value):
            return queryset.none()
        return queryset.filter(**{str(self.parameter_name): value})


def storable(text: str) -> bool:
    """False for text no column can hold (PostgreSQL refuses NUL), which matches no job."""
    return "\x00" not in text


class QueueFilter(ExactValueFilter):
    title = "queue"
    parameter_name = "queue_name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(queue, queue) for queue in sorted({q for _, q in configured_queues()})]


class BackendFilter(ExactValueFilter):
    title = "backend"
    parameter_name = "backend_name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(alias, alias) for alias in sorted({b for b, _ in configured_queues()})]


class TaskFilter(ExactValueFilter):
    title = "task"
    parameter_name = "task_path"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(path, path.rsplit(".", 1)[-1]) for path in task_paths()]


# A loose index scan: one index probe per distinct task path, instead of ``SELECT DISTINCT``,
# which reads the whole index (PostgreSQL has no skip scan): about 100 ms on a million jobs.
DISTINCT_TASK_PATHS = """
WITH RECURSIVE paths(task_path) AS (
    SELECT MIN(task_path) FROM {table}
    UNION ALL
    SELECT (SELECT MIN(task_path) FROM {table} WHERE task_path > paths.task_path)
    FROM paths WHERE paths.task_path IS NOT NULL
)
SELECT task_path FROM paths WHERE task_path IS NOT NULL
"""


def task_paths() -> list[str]:
    """Every task path in the job table, in order, from the ``(task_path, ...)`` index."""
    connection = connections[router.db_for_read(Job)]
    sql = DISTINCT_TASK_PATHS.format(table=connection.ops.quote_name(Job._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]
