"""Admin pages: read-only job history, workers, schedules (with controls) and webhook attempts.

Every action goes through ``django_jobs.api`` and needs its own permission.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from django_jobs import api
from django_jobs.models import Job, Schedule, ScheduleRun, WebhookDelivery, Worker


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "task_name",
        "status",
        "queue_name",
        "priority",
        "attempts",
        "enqueued_at",
        "finished_at",
    ]
    list_filter = ["status", "queue_name", "backend_name"]
    search_fields = ["=id", "task_path", "=unique_key"]
    date_hierarchy = "enqueued_at"


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


class ScheduleRunInline(admin.TabularInline):
    model = ScheduleRun
    fields = ["tick", "job_id", "skipped", "decided_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    ordering = ["-tick"]


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "cron", "time_zone", "task_path", "enabled", "paused", "last_tick_at"]
    list_filter = ["enabled", "paused"]
    inlines = [ScheduleRunInline]
    actions = ["pause", "resume", "run_now"]

    def has_run_schedule_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("django_jobs.run_schedule")

    def _each(self, request: HttpRequest, queryset: QuerySet, action: Any, verb: str) -> None:
        for schedule in queryset:
            action(schedule.name)
            self.log_change(request, schedule, f"{verb} from the admin")
        self.message_user(request, f"{verb}: {queryset.count()} schedule(s).", messages.SUCCESS)

    @admin.action(permissions=["run_schedule"], description="Pause selected schedules")
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, api.pause_schedule, "Paused")

    @admin.action(permissions=["run_schedule"], description="Resume selected schedules")
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, api.resume_schedule, "Resumed")

    @admin.action(permissions=["run_schedule"], description="Run selected schedules now")
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, api.run_schedule_now, "Enqueued")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "attempted_at",
        "event_type",
        "endpoint_url",
        "attempt",
        "status_code",
        "duration_ms",
    ]
    list_filter = ["status_code", "event_type"]
    search_fields = ["=event_id", "=job_id", "endpoint_url"]
