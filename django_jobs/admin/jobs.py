"""The job list and the read-only job page, with requeue, cancel and run-now actions."""

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string

from django_jobs import api
from django_jobs.admin.base import ReadOnlyAdmin
from django_jobs.conf import get_settings
from django_jobs.models import Job, Worker


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


def displayed_arguments(job: Job) -> tuple[list, dict]:
    """The job's arguments as operators may see them, after ``JOBS["REDACT_ARGUMENTS"]``."""
    hook = get_settings().REDACT_ARGUMENTS
    if hook:
        return import_string(hook)(job.task_path, list(job.args), dict(job.kwargs))
    return job.args, job.kwargs


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "task_name",
        "status",
        "queue_name",
        "priority",
        "attempts_display",
        "enqueued_at",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "queue_name", "backend_name", "task_path"]
    search_fields = ["=id", "task_path", "=unique_key"]
    date_hierarchy = "enqueued_at"
    list_select_related = False
    show_full_result_count = False
    actions = ["requeue", "cancel", "run_now"]
    fields = [
        "id",
        "task_path",
        "status",
        "queue_name",
        "priority",
        "backend_name",
        "arguments",
        "result",
        "errors_display",
        "timeline",
        "unique_key",
        "worker_ids",
    ]
    readonly_fields = fields

    @admin.display(description="attempts")
    def attempts_display(self, job: Job) -> str:
        return f"{job.attempts}/{job.max_attempts}"

    @admin.display(description="arguments")
    def arguments(self, job: Job) -> str:
        args, kwargs = displayed_arguments(job)
        return _pretty({"args": args, "kwargs": kwargs})

    @admin.display(description="return value")
    def result(self, job: Job) -> str:
        return _pretty(job.return_value) if job.status == "SUCCESSFUL" else "-"

    @admin.display(description="errors")
    def errors_display(self, job: Job) -> str:
        if not job.errors:
            return "-"
        return format_html_join(
            "",
            "<h4>Attempt {} — {}: {}</h4><pre>{}</pre>",
            (
                (e.get("attempt"), e["exception_class_path"], e.get("message", ""), e["traceback"])
                for e in job.errors
            ),
        )

    @admin.display(description="timeline")
    def timeline(self, job: Job) -> str:
        moments = [
            ("enqueued", job.enqueued_at),
            ("run after", job.run_after),
            ("first started", job.started_at),
            ("last attempt", job.last_attempted_at),
            ("finished", job.finished_at),
        ]
        return format_html_join("", "<div>{}: {}</div>", ((n, t) for n, t in moments if t))

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("django_jobs.requeue_job")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("django_jobs.cancel_job")

    @admin.action(permissions=["requeue"], description="Requeue selected finished jobs")
    def requeue(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_each(request, queryset, lambda job: api.requeue(job.pk), "Requeued")

    @admin.action(permissions=["cancel"], description="Cancel selected jobs")
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_each(request, queryset, lambda job: api.cancel(job.pk), "Cancelled")

    @admin.action(permissions=["requeue"], description="Run selected scheduled jobs now")
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_each(request, queryset, lambda job: api.run_now(job.pk), "Made due now")


@admin.register(Worker)
class WorkerAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "hostname",
        "pid",
        "concurrency",
        "heartbeat_at",
        "stopped_at",
        "jobs_done",
    ]
