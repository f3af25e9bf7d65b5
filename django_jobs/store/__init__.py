from django_jobs.store.jobstore import JobStore

__all__ = ["JobStore"]
