"""Admin pages for jobs, workers, schedules and webhook attempts.

Pages are read-only; every action goes through ``django_jobs.api`` and needs its
own permission (``requeue_job``, ``cancel_job``, ``run_schedule``), and each one
is recorded in the admin history.
"""

from django_jobs.admin.dashboard import DashboardAdmin
from django_jobs.admin.jobs import JobAdmin, WorkerAdmin
from django_jobs.admin.schedules import ScheduleAdmin
from django_jobs.admin.webhooks import WebhookDeliveryAdmin

__all__ = ["DashboardAdmin", "JobAdmin", "ScheduleAdmin", "WebhookDeliveryAdmin", "WorkerAdmin"]
