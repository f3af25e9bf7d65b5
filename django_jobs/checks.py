"""System checks: ``manage.py check`` reports a wrong ``JOBS`` setting with a sentence.

Ids are stable and documented in docs/checks.md. Backend ``OPTIONS`` are checked
by each backend's ``check()`` (collected by Django's own tasks check).
"""

from typing import Any

from django.conf import settings
from django.core import checks

from django_jobs.compat import InvalidTaskBackend, task_backends
from django_jobs.conf import get_settings, validate
from django_jobs.schedules import effective
from django_jobs.schedules import validate as validate_schedules


@checks.register()
def check_jobs_setting(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, hint="See docs/configuration.md.", id="django_jobs.E001")
        for problem in validate(getattr(settings, "JOBS", None))
    ]


@checks.register()
def check_schedules(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    raw = getattr(settings, "JOBS", None) or {}
    if validate(raw):
        return []  # reported by check_jobs_setting
    problems = validate_schedules(raw.get("SCHEDULES", {}))
    if problems:
        return [checks.Error(p, id="django_jobs.E030") for p in problems]
    return _task_problems() + _credit_model_problems()


def _task_problems() -> list[checks.CheckMessage]:
    from django_jobs.store.results import resolve_task

    jobs = get_settings()
    specs = effective(
        jobs.SCHEDULES, default_timezone=settings.TIME_ZONE, credits=bool(jobs.CREDIT_ACCOUNT_MODEL)
    )
    problems: list[checks.CheckMessage] = []
    for spec in specs.values():
        where = f"JOBS['SCHEDULES'][{spec.name!r}]"
        try:
            task = resolve_task(spec.task)
        except Exception as exc:  # noqa: BLE001 - any import failure is the message
            problems.append(checks.Error(f"{where}['task']: {exc}", id="django_jobs.E031"))
        else:
            problems.extend(_queue_problems(where, spec.queue or task.queue_name, task.backend))
    return problems


def _queue_problems(where: str, queue: str, alias: str) -> list[checks.CheckMessage]:
    """Django refuses to enqueue to a queue its backend does not list; say so before run time."""
    try:
        served = task_backends[alias].queues
    except InvalidTaskBackend:
        return []  # Django's own tasks check reports the backend
    if not served or queue in served:  # no QUEUES means any queue
        return []
    return [
        checks.Error(
            f"{where} enqueues to queue {queue!r}, which TASKS[{alias!r}]['QUEUES'] does not "
            f"list: {sorted(served)}",
            hint="Add the queue to QUEUES, or set the schedule's 'queue' to one that is listed.",
            id="django_jobs.E033",
        )
    ]


def _credit_model_problems() -> list[checks.CheckMessage]:
    from django.apps import apps

    from django_jobs.models import CreditAccountMixin

    path = get_settings().CREDIT_ACCOUNT_MODEL
    if not path:
        return []
    try:
        model = apps.get_model(path)
    except (LookupError, ValueError):
        model = None
    if model is None or not issubclass(model, CreditAccountMixin):
        return [
            checks.Error(
                f"JOBS['CREDIT_ACCOUNT_MODEL'] must name an installed model ('app_label.Model') "
                f"that inherits django_jobs.models.CreditAccountMixin, got: {path!r}",
                id="django_jobs.E032",
            )
        ]
    return []
