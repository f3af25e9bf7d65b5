import datetime

import pytest

from django_jobs.tasks.credits import current_period, reset_credits
from django_jobs.testing import run_until_empty
from testproject.shop.models import Organization
from tests.concurrency import run_concurrently


def make_accounts(n=1200):
    last_month = current_period() - datetime.timedelta(days=1)
    Organization.objects.bulk_create(
        Organization(
            name=f"org{i}",
            credit_balance=3,
            monthly_credits=100 + i % 7,
            credit_period=None if i % 10 == 0 else last_month.replace(day=1),
        )
        for i in range(n)
    )
    Organization.objects.create(
        name="already", credit_balance=5, monthly_credits=100, credit_period=current_period()
    )


@pytest.mark.django_db
def test_reset_refills_each_stale_account_once_per_period():
    make_accounts()
    first = reset_credits.enqueue()
    run_until_empty()
    first.refresh()
    assert first.return_value == 1200  # in batches of 500
    assert not Organization.objects.exclude(credit_period=current_period()).exists()
    org = Organization.objects.get(name="org3")
    assert org.credit_balance == org.monthly_credits
    assert Organization.objects.get(name="already").credit_balance == 5
    Organization.objects.filter(name="org3").update(credit_balance=1)  # spent some
    second = reset_credits.enqueue()
    run_until_empty()
    second.refresh()
    assert second.return_value == 0
    assert Organization.objects.get(name="org3").credit_balance == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_resets_reset_each_account_once():
    make_accounts(600)
    counts = run_concurrently(reset_credits.call, threads=4)
    assert sum(counts) == 600 and len(counts) == 4


@pytest.mark.django_db
def test_reset_without_a_configured_model_fails_clearly(settings):
    settings.JOBS = {}
    result = reset_credits.enqueue()
    run_until_empty()
    result.refresh()
    assert result.status == "FAILED" and "CREDIT_ACCOUNT_MODEL" in result.errors[-1].traceback
