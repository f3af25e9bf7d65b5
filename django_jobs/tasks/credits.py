"""``reset_credits``: give every account its monthly allowance once per period."""

import datetime

from django.apps import apps
from django.db.models import F, Q
from django.utils import timezone

from django_jobs.conf import get_settings
from django_jobs.exceptions import PermanentFailure
from django_jobs.jobtask import task

BATCH = 500


def current_period(now: datetime.datetime | None = None) -> datetime.date:
    """The first day of the current month in the project's time zone."""
    return timezone.localdate(now).replace(day=1)


@task(queue_name="default")
def reset_credits() -> int:
    """Reset each account whose period is older than this month; return how many.

    Each batch is one conditional UPDATE (``credit_period < this month``), so a
    second run in the same month, or a concurrent one, finds nothing to change.
    """
    path = get_settings().CREDIT_ACCOUNT_MODEL
    if not path:
        raise PermanentFailure("JOBS['CREDIT_ACCOUNT_MODEL'] is not set")
    model = apps.get_model(path)
    period = current_period()
    stale = Q(credit_period__lt=period) | Q(credit_period__isnull=True)
    reset = 0
    while ids := list(model.objects.filter(stale).values_list("pk", flat=True)[:BATCH]):
        reset += model.objects.filter(stale, pk__in=ids).update(
            credit_balance=F("monthly_credits"), credit_period=period
        )
    return reset
