"""The job list and the read-only job page, with requeue, cancel and run-now actions.

The list stays fast on millions of rows: filters take their choices from
settings (see ``filters.py``), the paginator never counts the whole table, and
every column comes from the job row itself (no per-row queries).
"""

import json
import uuid
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string

from django_jobs.admin.base import ReadOnlyAdmin
from django_jobs.admin.filters import (
    BackendFilter,
    FinishedWithinFilter,
    QueueFilter,
    StateFilter,
    TaskFilter,
    storable,
    task_paths,
)
from django_jobs.admin.job_actions import ACTIONS, BULK_OPERATIONS, BulkOperation
from django_jobs.admin.links import job_list_url
from django_jobs.admin.pagination import CappedCountPaginator
from django_jobs.conf import get_settings
from django_jobs.models import Job, Worker
from django_jobs.status import JobStatus

BADGE_COLOURS = {
    JobStatus.READY: "#417690",
    JobStatus.RUNNING: "#b58900",
    JobStatus.SUCCESSFUL: "#3a8a4f",
    JobStatus.FAILED: "#ba2121",
    JobStatus.CANCELLED: "#777777",
}


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


def _instant(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def displayed_arguments(job: Job) -> tuple[list, dict]:
    """The job's arguments as operators may see them, after ``JOBS["REDACT_ARGUMENTS"]``."""
    hook = get_settings().REDACT_ARGUMENTS
    if hook:
        return import_string(hook)(job.task_path, list(job.args), dict(job.kwargs))
    return job.args, job.kwargs


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = [
        "short_id",
        "status_badge",
        "task_name",
        "queue_name",
        "priority",
        "attempts_display",
        "enqueued_at",
        "started_at",
        "duration",
        "worker",
    ]
    list_filter = [
        StateFilter,
        QueueFilter,
        TaskFilter,
        BackendFilter,
        FinishedWithinFilter,
        ("enqueued_at", admin.DateFieldListFilter),
    ]
    list_display_links = ["short_id"]
    search_fields = ["=id", "=task_path", "=unique_key"]  # shown as the hint; see below
    search_help_text = "A job id, a unique key, a task path or a task's name (exact)."
    list_select_related = False
    show_full_result_count = False
    actions_selection_counter = False  # "select all N" needs a count; bulk pages do that job
    paginator = CappedCountPaginator
    # Named, not found by path, so that Job registered on another admin site keeps the stock ones.
    change_list_template = "admin/django_jobs/job_change_list.html"
    change_form_template = "admin/django_jobs/job_change_form.html"
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
        "other_jobs",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(name) for name in self.fields or ()]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Job], search_term: str
    ) -> tuple[QuerySet[Job], bool]:
        """Exact, indexed lookups only: a substring search would scan every row.

        A UUID finds that job; anything else matches a unique key, a task path, or
        the last part of a task path (``send_email`` finds ``app.tasks.send_email``).
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        if not storable(term):
            return queryset.none(), False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            pass
        paths = [path for path in task_paths() if term in (path, path.rsplit(".", 1)[-1])]
        return queryset.filter(Q(unique_key=term) | Q(task_path__in=paths)), False

    @admin.display(description="id", ordering="id")
    def short_id(self, job: Job) -> str:
        """The first block of the UUID: enough to tell rows apart; search takes the whole id."""
        return str(job.pk).split("-", 1)[0]

    @admin.display(description="status", ordering="status")
    def status_badge(self, job: Job) -> str:
        return format_html(
            '<span class="job-status" style="background:{};color:#fff;padding:1px 6px;'
            'border-radius:8px;font-size:.85em">{}</span>',
            BADGE_COLOURS[JobStatus(job.status)],
            job.get_status_display(),
        )

    @admin.display(description="task", ordering="task_path")
    def task_name(self, job: Job) -> str:
        return job.task_name

    @admin.display(description="attempts")
    def attempts_display(self, job: Job) -> str:
        return f"{job.attempts}/{job.max_attempts}"

    @admin.display(description="duration")
    def duration(self, job: Job) -> str:
        """The last attempt's run time; for a running job, how long it has run so far."""
        if job.last_attempted_at is None or job.status == JobStatus.READY:
            return "-"
        end = job.finished_at or timezone.now()
        return f"{(end - job.last_attempted_at).total_seconds():.2f} s"

    @admin.display(description="worker")
    def worker(self, job: Job) -> str:
        """The worker running it, or the one that ran its last attempt."""
        return job.worker_id or (job.worker_ids[-1] if job.worker_ids else "-")

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
        """Every recorded moment of the job's life, in the order it happened."""
        failures = [
            (f"attempt {e.get('attempt')} failed on {e.get('worker_id')}", _instant(e.get("at")))
            for e in job.errors
        ]
        moments = [
            ("enqueued", job.enqueued_at),
            ("due (run after)", job.run_after),
            ("first started", job.started_at),
            *failures,
            ("last attempt started", job.last_attempted_at),
            (f"finished: {job.get_status_display()}", job.finished_at),
        ]
        ordered = sorted((t, n) for n, t in moments if t)
        return format_html_join(
            "",
            "<div><time>{}</time> {}</div>",
            ((f"{timezone.localtime(t):%Y-%m-%d %H:%M:%S.%f}"[:-3], n) for t, n in ordered),
        )

    @admin.display(description="other jobs of this task")
    def other_jobs(self, job: Job) -> str:
        return format_html(
            '<a href="{}">all</a> · <a href="{}">failed</a>',
            job_list_url(task_path=job.task_path),
            job_list_url(task_path=job.task_path, state="failed"),
        )

    # -- actions: the list's checkbox actions, the job page's buttons, whole-filter bulk pages

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return ACTIONS["requeue"].allowed(request.user)

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return ACTIONS["cancel"].allowed(request.user)

    def _run_action(self, request: HttpRequest, name: str, jobs: Any) -> int:
        action = ACTIONS[name]
        return self.apply_each(request, (job.pk for job in jobs), action.run, action.verb)

    @admin.action(permissions=["requeue"], description="Requeue selected finished jobs")
    def requeue(self, request: HttpRequest, queryset: Any) -> None:
        self._run_action(request, "requeue", queryset)

    @admin.action(permissions=["cancel"], description="Cancel selected jobs")
    def cancel(self, request: HttpRequest, queryset: Any) -> None:
        self._run_action(request, "cancel", queryset)

    @admin.action(permissions=["requeue"], description="Run selected scheduled jobs now")
    def run_now(self, request: HttpRequest, queryset: Any) -> None:
        self._run_action(request, "run_now", queryset)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("bulk/<str:operation>/", wrap(self.bulk_view), name="django_jobs_job_bulk"),
            path(
                "<path:object_id>/act/<str:action>/",
                wrap(self.job_action_view),
                name="django_jobs_job_act",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        bulk = [
            (name, operation.description)
            for name, operation in BULK_OPERATIONS.items()
            if operation.action.allowed(request.user)
        ]
        return super().changelist_view(request, {"bulk_operations": bulk, **(extra_context or {})})

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        buttons = [
            (action.name, action.label)
            for action in ACTIONS.values()
            if job is not None and action.allowed(request.user) and action.applies(job)
        ]
        context = {"job_actions": buttons, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def job_action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """A job page button: POST only, with the action's permission."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        job_action = ACTIONS.get(action)
        if job_action is None:
            raise Http404("No such action.")
        if not job_action.allowed(request.user):
            raise PermissionDenied
        job = self.get_object(request, object_id)
        if job is None:
            raise Http404("No such job.")
        self.apply_each(request, [job.pk], job_action.run, job_action.verb)
        return HttpResponseRedirect(reverse("admin:django_jobs_job_change", args=[job.pk]))

    def bulk_view(self, request: HttpRequest, operation: str) -> HttpResponse:
        """Confirm, then apply, an action to every job of the current filter (up to a limit)."""
        bulk = BULK_OPERATIONS.get(operation)
        if bulk is None:
            raise Http404("No such bulk operation.")
        if not bulk.action.allowed(request.user):
            raise PermissionDenied
        list_url = reverse("admin:django_jobs_job_changelist")
        query = request.GET.urlencode()
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, "That filter is not valid.", messages.ERROR)
            return HttpResponseRedirect(list_url)
        matching = bulk.narrow(changelist.get_queryset(request))
        limit = get_settings().BULK_ACTION_LIMIT
        if request.method == "POST":
            ids = matching.order_by("enqueued_at").values_list("pk", flat=True)[:limit]
            self.apply_each(request, list(ids), bulk.action.run, bulk.action.verb)
            return HttpResponseRedirect(f"{list_url}?{query}" if query else list_url)
        return self._bulk_confirmation(request, bulk, matching, limit, f"{list_url}?{query}")

    def _bulk_confirmation(
        self, request: HttpRequest, bulk: BulkOperation, matching: Any, limit: int, back: str
    ) -> TemplateResponse:
        count = matching[: limit + 1].count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{bulk.description} jobs in this list?",
            "bulk": bulk,
            "count": min(count, limit),
            "over_limit": count > limit,
            "limit": limit,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/django_jobs/bulk_confirm.html", context)


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
