"""The one place that imports Django's tasks framework or reads ``django.VERSION``.

Django 6.0 and 6.1 differ in small ways (6.0's ``task()`` takes no extra
options); every other module imports the tasks API from here so that a new
Django line, or the ``django_tasks`` backport, only touches this file.
"""

import django
from django.tasks import (
    DEFAULT_TASK_BACKEND_ALIAS,
    DEFAULT_TASK_QUEUE_NAME,
    Task,
    TaskContext,
    TaskResult,
    TaskResultStatus,
    task_backends,
)
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import (
    DEFAULT_TASK_PRIORITY,
    TASK_MAX_PRIORITY,
    TASK_MIN_PRIORITY,
    TaskError,
)
from django.tasks.exceptions import (
    InvalidTask,
    InvalidTaskBackend,
    TaskResultDoesNotExist,
)
from django.tasks.signals import task_enqueued, task_finished, task_started

DJANGO_VERSION: tuple[int, int] = (django.VERSION[0], django.VERSION[1])

# Django 6.1's ``@task(...)`` forwards unknown keyword arguments to the
# backend's ``task_class``; 6.0's does not, so there our own decorator is needed.
DJANGO_TASK_ACCEPTS_OPTIONS = DJANGO_VERSION >= (6, 1)


def build_mail_backend(path: str, options: dict) -> object:
    """An instance of email backend ``path`` with ``options``, without deprecation noise.

    Django 6.1 wants backends built with an ``alias`` (mailers); 6.0 knows no alias.
    """
    from django.utils.module_loading import import_string

    backend_class = import_string(path)
    if DJANGO_VERSION >= (6, 1):
        return backend_class(alias="django_jobs", fail_silently=False, **options)
    return backend_class(fail_silently=False, **options)


def default_mail_backend() -> object:
    """The project's default email connection (MAILERS["default"] on 6.1, EMAIL_BACKEND before)."""
    if DJANGO_VERSION >= (6, 1):
        from django.core.mail import mailers

        return mailers.default
    from django.core.mail import get_connection

    return get_connection(fail_silently=False)


__all__ = [
    "DEFAULT_TASK_BACKEND_ALIAS",
    "DEFAULT_TASK_PRIORITY",
    "DEFAULT_TASK_QUEUE_NAME",
    "DJANGO_TASK_ACCEPTS_OPTIONS",
    "DJANGO_VERSION",
    "TASK_MAX_PRIORITY",
    "TASK_MIN_PRIORITY",
    "BaseTaskBackend",
    "InvalidTask",
    "InvalidTaskBackend",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultStatus",
    "build_mail_backend",
    "default_mail_backend",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
