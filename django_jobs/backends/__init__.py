"""The three execution modes, chosen by ``TASKS[alias]["BACKEND"]``."""

from typing import Any

from django_jobs.backends.database import DatabaseBackend
from django_jobs.backends.immediate import ImmediateBackend

__all__ = ["DatabaseBackend", "HueyBackend", "ImmediateBackend"]


def __getattr__(name: str) -> Any:
    # huey is an optional dependency: import its backend only when named.
    if name == "HueyBackend":
        from django_jobs.backends.huey import HueyBackend

        return HueyBackend
    raise AttributeError(f"module 'django_jobs.backends' has no attribute {name!r}")
