from django_jobs.models.job import Job
from django_jobs.models.queue import Queue
from django_jobs.models.worker import Worker

__all__ = ["Job", "Queue", "Worker"]
