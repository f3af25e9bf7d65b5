from django_jobs.models.credits import CreditAccountMixin
from django_jobs.models.dashboard import Dashboard
from django_jobs.models.job import Job
from django_jobs.models.pruned import PrunedJobs
from django_jobs.models.queue import Queue
from django_jobs.models.schedule import Schedule, ScheduleRun
from django_jobs.models.webhook import WebhookDelivery
from django_jobs.models.worker import Worker

__all__ = [
    "CreditAccountMixin",
    "Dashboard",
    "Job",
    "PrunedJobs",
    "Queue",
    "Schedule",
    "ScheduleRun",
    "WebhookDelivery",
    "Worker",
]
