from datetime import datetime

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from django_jobs import api
from django_jobs.admin.base import ReadOnlyAdmin
from django_jobs.models import Schedule, ScheduleRun


class ScheduleRunInline(admin.TabularInline):
    model = ScheduleRun
    fields = ["tick", "job_id", "skipped", "decided_at"]
    readonly_fields = ["tick", "job_id", "skipped", "decided_at"]
    extra = 0
    max_num = 0
    ordering = ["-tick"]


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "cron",
        "time_zone",
        "task_path",
        "enabled",
        "paused",
        "last_tick_at",
        "next_run",
    ]
    list_filter = ["enabled", "paused"]
    inlines = [ScheduleRunInline]
    actions = ["pause", "resume", "run_now"]

    @admin.display(description="Next run")
    def next_run(self, schedule: Schedule) -> datetime | None:
        return schedule.next_tick_at()

    def has_run_schedule_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("django_jobs.run_schedule")

    @admin.action(permissions=["run_schedule"], description="Pause selected schedules")
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_each(request, queryset, lambda s: api.pause_schedule(s.name), "Paused")

    @admin.action(permissions=["run_schedule"], description="Resume selected schedules")
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_each(request, queryset, lambda s: api.resume_schedule(s.name), "Resumed")

    @admin.action(permissions=["run_schedule"], description="Run selected schedules now")
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.apply_each(request, queryset, _run_now, "Enqueued")


def _run_now(schedule: Schedule) -> Schedule:
    api.run_schedule_now(schedule.name)
    return schedule
