"""System checks: ``manage.py check`` reports a wrong ``JOBS`` setting with a sentence.

Ids are stable and documented in docs/checks.md. Backend ``OPTIONS`` are checked
by each backend's ``check()`` (collected by Django's own tasks check).
"""

from typing import Any

from django.conf import settings
from django.core import checks

from django_jobs.conf import validate


@checks.register()
def check_jobs_setting(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, hint="See docs/configuration.md.", id="django_jobs.E001")
        for problem in validate(getattr(settings, "JOBS", None))
    ]
