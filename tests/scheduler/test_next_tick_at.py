"""``Schedule.next_tick_at``: what the admin shows as a schedule's next run."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from django_jobs import api
from django_jobs.models import Schedule
from django_jobs.scheduler import sync_schedules
from tests.scheduler.test_scheduler import jobs_with

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)  # 02:50 CEST, ten minutes before clocks go back


@pytest.fixture
def hourly():
    with jobs_with(a={"task": "tests.tasks.noop", "cron": "@hourly", "timezone": "Europe/Berlin"}):
        sync_schedules(NOW)
    return Schedule.objects.get(name="a")


def test_next_tick_at_follows_the_tick_math(hourly):
    assert hourly.next_tick_at(NOW) == datetime(2026, 10, 25, 1, tzinfo=UTC)  # 02:00 CET


def test_next_tick_at_defaults_to_now(hourly):
    next_tick = hourly.next_tick_at()
    assert timezone.now() < next_tick <= timezone.now() + timedelta(hours=1)


def test_a_paused_or_disabled_schedule_has_no_next_tick(hourly):
    api.pause_schedule("a")
    assert Schedule.objects.get(name="a").next_tick_at(NOW) is None
    api.resume_schedule("a")
    with jobs_with():
        sync_schedules(NOW)  # removed from settings: disabled
    assert Schedule.objects.get(name="a").next_tick_at(NOW) is None
