"""Read-only admin for jobs and workers."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from django_jobs.models import Job, Worker


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
