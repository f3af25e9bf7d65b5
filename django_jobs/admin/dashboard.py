"""The dashboard: is anything stuck, failing or piling up, and the buttons to fix it.

Per queue: due, scheduled and running jobs, successes and failures of the last
24 hours and the age of the oldest due job, each a link to the filtered job
list; an hourly chart; live and lost workers; schedules with their last and
next run. Buttons pause or resume a queue and run a schedule now; they post to
small views that call ``django_jobs.api`` and record who did it in the admin
history. The whole page costs a fixed number of queries.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from django_jobs import api
from django_jobs.admin.base import ReadOnlyAdmin
from django_jobs.admin.chart import hourly_chart
from django_jobs.admin.filters import storable
from django_jobs.admin.links import job_list_url
from django_jobs.models import Dashboard, Queue, Schedule
from django_jobs.stats import (
    QueueStats,
    configured_queues,
    hourly_outcomes,
    live_workers,
    lost_workers,
    queue_stats,
    queued_backends,
)

QUEUE_OPERATIONS = {"pause": api.pause_queue, "resume": api.resume_queue}


def _queue_row(stats: QueueStats, *, pausable: bool) -> dict[str, Any]:
    where = {"backend_name": stats.backend, "queue_name": stats.queue}
    cells = [
        (stats.ready, job_list_url(**where, state="due")),
        (stats.scheduled, job_list_url(**where, state="scheduled")),
        (stats.running, job_list_url(**where, state="running")),
        (stats.succeeded_24h, job_list_url(**where, state="successful", finished_within="24h")),
        (stats.failed_24h, job_list_url(**where, state="failed", finished_within="24h")),
    ]
    age = "-" if stats.oldest_due_age is None else _duration(stats.oldest_due_age)
    return {
        "stats": stats,
        "cells": cells,
        "oldest_due": (age, job_list_url(**where, state="due")),
        "failing": stats.failed_24h > 0,
        "pausable": pausable,
    }


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7_200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3_600:.1f} h"


def _schedule_rows() -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for schedule in Schedule.objects.filter(enabled=True):
        rows.append({"schedule": schedule, "next_run": schedule.next_tick_at(now)})
    return rows


@admin.register(Dashboard)
class DashboardAdmin(ReadOnlyAdmin):
    """Not a model page: the admin index links here, and the page is the dashboard."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("django_jobs.view_job")

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.dashboard_view), name="django_jobs_dashboard_changelist"),
            path("queue/", wrap(self.queue_view), name="django_jobs_dashboard_queue"),
            path("schedule/", wrap(self.schedule_view), name="django_jobs_dashboard_schedule"),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = request.user
        queued = queued_backends()
        context = {
            **self.admin_site.each_context(request),
            "title": "Jobs dashboard",
            "opts": self.opts,
            "queues": [_queue_row(s, pausable=s.backend in queued) for s in queue_stats()],
            "chart": hourly_chart(hourly_outcomes()),
            "failed_24h_url": job_list_url(state="failed", finished_within="24h"),
            "live_workers": live_workers(),
            "lost_workers": lost_workers(),
            "schedules": _schedule_rows(),
            "job_list_url": job_list_url(),
            "can_pause": user.has_perm("django_jobs.pause_queue"),
            "can_run_schedules": user.has_perm("django_jobs.run_schedule"),
        }
        return TemplateResponse(request, "admin/django_jobs/dashboard.html", context)

    def _back(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:django_jobs_dashboard_changelist"))

    @staticmethod
    def _require(request: HttpRequest, permission: str) -> None:
        if not request.user.has_perm(f"django_jobs.{permission}"):
            raise PermissionDenied

    @staticmethod
    def _posted(request: HttpRequest, name: str) -> str:
        return request.POST.get(name, "").strip()

    @method_decorator(require_POST)
    def queue_view(self, request: HttpRequest) -> HttpResponse:
        """Pause or resume one queue (``pause_queue`` permission)."""
        self._require(request, "pause_queue")
        operation = QUEUE_OPERATIONS.get(self._posted(request, "operation"))
        pair = (self._posted(request, "backend"), self._posted(request, "queue"))
        known = configured_queues() | set(Queue.objects.values_list("backend_name", "name"))
        if (
            operation is None
            or not all(map(storable, pair))
            or (pair not in known and not self._has_jobs(*pair))
        ):
            self.message_user(request, "No such queue or operation.", messages.ERROR)
            return self._back()
        queue = operation(*pair)
        verb = "Paused" if queue.paused else "Resumed"
        self.log_change(request, queue, f"{verb} from the dashboard")
        self.message_user(request, f"{verb} queue {pair[0]}/{pair[1]}.", messages.SUCCESS)
        return self._back()

    @staticmethod
    def _has_jobs(backend: str, queue: str) -> bool:
        return Dashboard.objects.filter(backend_name=backend, queue_name=queue).exists()

    @method_decorator(require_POST)
    def schedule_view(self, request: HttpRequest) -> HttpResponse:
        """Enqueue a schedule's job now (``run_schedule`` permission)."""
        self._require(request, "run_schedule")
        name = self._posted(request, "name")
        try:
            job_id = api.run_schedule_now(name)
        except LookupError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return self._back()
        self.log_change(request, Schedule.objects.get(name=name), "Run now from the dashboard")
        self.message_user(request, f"Enqueued {name} as job {job_id}.", messages.SUCCESS)
        return self._back()
