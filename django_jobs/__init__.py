"""Production-grade background jobs for Django's tasks framework."""

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # ``django_jobs.task`` is resolved lazily so that importing the package
    # never imports Django's tasks framework, models or backends.
    if name == "task":
        from django_jobs.jobtask import task

        return task
    raise AttributeError(f"module 'django_jobs' has no attribute {name!r}")
