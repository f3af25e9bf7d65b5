"""URLs for the admin benchmark: our admin, and Django's stock ModelAdmin as the baseline."""

from django.contrib import admin
from django.urls import include, path

from django_jobs.models import Job

stock_site = admin.AdminSite(name="stock")


class StockJobAdmin(admin.ModelAdmin):
    """What ``admin.site.register(Job)`` plus the usual list options gives a project."""

    list_display = ["id", "status", "task_path", "queue_name", "priority", "enqueued_at"]
    list_filter = ["status", "queue_name", "backend_name", "task_path"]
    search_fields = ["=id", "task_path", "=unique_key"]
    date_hierarchy = "enqueued_at"


stock_site.register(Job, StockJobAdmin)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("stock/", stock_site.urls),
    path("jobs/", include("django_jobs.urls")),
]
