from django_jobs.worker.options import WorkerOptions
from django_jobs.worker.runner import Worker

__all__ = ["Worker", "WorkerOptions"]
