"""The one place that imports Django's tasks framework or reads ``django.VERSION``.

Three Django lines are supported, and they differ in small ways:

- 5.2 LTS has no ``django.tasks``; the ``django-tasks`` backport provides the same
  API as ``django_tasks``, with two exception names spelled ``...Error``. Its
  ``task()`` forwards extra options to the backend's ``task_class`` (as 6.1 does).
- 6.0's ``task()`` takes no extra options.
- 6.1 forwards them, and builds email backends with an ``alias`` (mailers).

Every other module imports the tasks API from here so that a new Django line
only touches this file.
"""

import django

DJANGO_VERSION: tuple[int, int] = (django.VERSION[0], django.VERSION[1])

if DJANGO_VERSION >= (6, 0):
    from django.tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        DEFAULT_TASK_QUEUE_NAME,
        Task,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        task_backends,
    )
    from django.tasks import task as django_task
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

    TASKS_PACKAGE = "django.tasks"
else:
    try:
        import django_tasks  # noqa: F401 - fail here, with the fix in the message
    except ImportError as exc:
        raise ImportError(
            "django-jobs on Django 5.2 needs the django-tasks backport: "
            "pip install 'django-jobs[django52]'"
        ) from exc
    # Importing ``checks`` registers the backends' own checks, which Django 6
    # registers when ``django.tasks`` is imported; ``signals`` resets backends on
    # ``override_settings(TASKS=...)``. Both would otherwise only be connected when
    # "django_tasks" is in INSTALLED_APPS, so django-jobs does not require it there.
    import django_tasks.checks  # noqa: F401
    from django_tasks import (  # type: ignore[no-redef]
        DEFAULT_TASK_BACKEND_ALIAS,
        DEFAULT_TASK_QUEUE_NAME,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        task_backends,
    )
    from django_tasks import task as django_task  # type: ignore[no-redef]
    from django_tasks.backends.base import BaseTaskBackend  # type: ignore[no-redef]

    # The backport exports Task from ``base`` only.
    from django_tasks.base import (  # type: ignore[no-redef]
        DEFAULT_TASK_PRIORITY,
        TASK_MAX_PRIORITY,
        TASK_MIN_PRIORITY,
        Task,
        TaskError,
    )
    from django_tasks.exceptions import (  # type: ignore[no-redef]
        InvalidTaskBackendError as InvalidTaskBackend,
    )
    from django_tasks.exceptions import (  # type: ignore[no-redef]
        InvalidTaskError as InvalidTask,
    )
    from django_tasks.exceptions import TaskResultDoesNotExist  # type: ignore[no-redef]
    from django_tasks.signals import (  # type: ignore[no-redef]
        task_enqueued,
        task_finished,
        task_started,
    )

    TASKS_PACKAGE = "django_tasks"

# Django 6.1's and the backport's ``@task(...)`` forward unknown keyword arguments
# to the backend's ``task_class``; 6.0's does not, so there our own decorator is needed.
DJANGO_TASK_ACCEPTS_OPTIONS = not (6, 0) <= DJANGO_VERSION < (6, 1)


def build_mail_backend(path: str, options: dict) -> object:
    """An instance of email backend ``path`` with ``options``, without deprecation noise.

    Django 6.1 wants backends built with an ``alias`` (mailers); 5.2 and 6.0 know no alias.
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
    "TASKS_PACKAGE",
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
    "django_task",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
