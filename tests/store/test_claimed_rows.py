"""Claimed jobs come back as the ORM would load them: the claim converts its own rows."""

import pytest
from django.test import override_settings

from django_jobs.models import Job
from django_jobs.store import JobStore
from tests import tasks

pytestmark = pytest.mark.django_db


def claimed_and_loaded(**stored):
    """A job with ``stored`` values, claimed by id and by due date, and as the ORM loads it."""
    by_date = tasks.echo.enqueue(1, "two", three={"four": [5.5, None]})
    by_id = tasks.echo.enqueue("six")
    Job.objects.filter(pk__in=[by_date.id, by_id.id]).update(**stored)
    store = JobStore()
    claimed = store.claim(backend_name="default", worker_id="w", limit=1, lease_seconds=30)
    claimed += store.claim_by_id([by_id.id], worker_id="w", lease_seconds=30)
    return [(job, Job.objects.get(pk=job.pk)) for job in claimed]


def assert_loaded_alike(claimed, loaded):
    for field in Job._meta.concrete_fields:
        mine, orms = getattr(claimed, field.attname), getattr(loaded, field.attname)
        assert (mine, type(mine)) == (orms, type(orms)), field.attname
        if hasattr(orms, "tzinfo"):
            assert mine.tzinfo == orms.tzinfo, field.attname
    assert (claimed._state.adding, claimed._state.db) == (False, loaded._state.db)


def test_a_claimed_job_has_the_values_types_and_state_the_orm_gives():
    pairs = claimed_and_loaded(
        errors=[{"exception_class_path": "builtins.ValueError", "traceback": "...", "attempt": 1}],
        retry_on=["builtins.ValueError"],
        backoff=1.5,
        unique_key="k",
    )
    assert len(pairs) == 2
    for claimed, loaded in pairs:
        assert_loaded_alike(claimed, loaded)
        assert claimed.started_at.utcoffset() is not None
        claimed.save()  # a loaded instance: an UPDATE of its row, not a second INSERT
    assert Job.objects.count() == 2


def test_datetimes_follow_use_tz_when_it_changes():
    claimed_and_loaded()  # the converters are worked out with USE_TZ on...
    Job.objects.all().delete()
    with override_settings(USE_TZ=False):  # ...and again once it is off
        for claimed, loaded in claimed_and_loaded():
            assert_loaded_alike(claimed, loaded)
