"""Helpers for testing code that enqueues jobs (pytest or Django's test runner).

The names are imported on first use, not with the package: pytest loads
``django_jobs.testing.pytest_plugin`` (and so this package) before pytest-django
has configured settings, when importing the models would fail.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_jobs.testing.assertions import assert_enqueued, assert_not_enqueued
    from django_jobs.testing.capture import CapturedJob, CapturedJobs, capture_jobs
    from django_jobs.testing.commit import run_on_commit
    from django_jobs.testing.drain import run_until_empty
    from django_jobs.testing.modes import MODES, jobs_mode

_HOMES = {
    "MODES": "django_jobs.testing.modes",
    "CapturedJob": "django_jobs.testing.capture",
    "CapturedJobs": "django_jobs.testing.capture",
    "assert_enqueued": "django_jobs.testing.assertions",
    "assert_not_enqueued": "django_jobs.testing.assertions",
    "capture_jobs": "django_jobs.testing.capture",
    "jobs_mode": "django_jobs.testing.modes",
    "run_on_commit": "django_jobs.testing.commit",
    "run_until_empty": "django_jobs.testing.drain",
}

__all__ = [
    "MODES",
    "CapturedJob",
    "CapturedJobs",
    "assert_enqueued",
    "assert_not_enqueued",
    "capture_jobs",
    "jobs_mode",
    "run_on_commit",
    "run_until_empty",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'django_jobs.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
