"""Switch a backend between immediate, database and huey mode for one test."""

from typing import Any

from django.conf import settings
from django.test import override_settings
from django.utils.module_loading import import_string

from django_jobs.compat import DEFAULT_TASK_BACKEND_ALIAS

MODES = {
    "immediate": "django_jobs.backends.ImmediateBackend",
    "database": "django_jobs.backends.DatabaseBackend",
    "huey": "django_jobs.backends.HueyBackend",
}


def jobs_mode(
    mode: str, backend: str = DEFAULT_TASK_BACKEND_ALIAS, **options: Any
) -> override_settings:
    """Settings in which ``TASKS[backend]`` runs in ``mode``, its other keys kept.

    Use it as a context manager or as a decorator of a test function or
    ``TestCase`` class. It is Django's ``override_settings``, whose
    ``setting_changed`` signal makes Django drop its cached backend instances
    (``django.tasks.task_backends``) and django-jobs its huey and Redis objects,
    on entry and on exit: tasks enqueued inside use the new mode.

    ``options`` are merged into the backend's ``OPTIONS`` (``REDIS_URL=...`` for
    huey). When the mode changes, the old ``OPTIONS`` are dropped first: they
    belong to the other backend class. The new configuration is checked at once,
    so a huey mode without Redis fails here, not at the first enqueue.
    """
    if mode not in MODES:
        raise ValueError(f"Unknown jobs mode {mode!r}; choose one of: {', '.join(sorted(MODES))}.")
    configured = settings.TASKS.get(backend)
    if configured is None:
        raise ValueError(
            f"TASKS has no backend {backend!r} to switch to {mode} mode; "
            f"configured: {', '.join(sorted(settings.TASKS))}."
        )
    current: dict[str, Any] = dict(configured)
    same = _same_class(current.get("BACKEND"), MODES[mode])
    kept: dict[str, Any] = dict(current.get("OPTIONS") or {}) if same else {}
    params = {**current, "BACKEND": MODES[mode], "OPTIONS": {**kept, **options}}
    _check(mode, backend, params)
    return override_settings(TASKS={**settings.TASKS, backend: params})


def _same_class(path: str | None, other: str) -> bool:
    try:
        return path is not None and import_string(path) is import_string(other)
    except ImportError:
        return False


def _check(mode: str, alias: str, params: dict[str, Any]) -> None:
    backend = import_string(params["BACKEND"])(alias, params)
    problems = [message.msg for message in backend.check() if message.is_serious()]
    if problems:
        raise ValueError(f"jobs_mode({mode!r}) for backend {alias!r}: " + "; ".join(problems))
