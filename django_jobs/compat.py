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
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
