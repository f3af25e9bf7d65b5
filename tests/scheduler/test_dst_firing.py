"""The scheduler on a simulated clock across daylight-saving changes: one run per tick."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from django_jobs.models import Job, ScheduleRun
from django_jobs.scheduler import Scheduler
from tests.scheduler.test_scheduler import jobs_with

pytestmark = pytest.mark.django_db

STEP = timedelta(minutes=5)


def every(start, end, interval):
    out = []
    while start <= end:
        out.append(start)
        start += interval
    return out


def run_clock(start, end, **schedules):
    """Run the scheduler's loop body every five simulated minutes from ``start`` to ``end``."""
    clock = [start]
    with jobs_with(**schedules):
        scheduler = Scheduler(threading.Event(), clock=lambda: clock[0])
        while clock[0] <= end:
            scheduler.step()
            clock[0] += STEP
    runs = {}
    for name, tick in ScheduleRun.objects.order_by("tick").values_list("schedule__name", "tick"):
        runs.setdefault(name, []).append(tick)
    return runs


def schedule(cron, tz):
    return {"task": "tests.tasks.noop", "cron": cron, "timezone": tz, "overlap": "allow"}


@pytest.mark.parametrize(
    ("tz", "change", "daily"),
    [
        ("Europe/Berlin", datetime(2026, 10, 25, 1, tzinfo=UTC), "30 2 * * *"),
        ("America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC), "30 1 * * *"),
    ],
)
def test_fall_back_interval_crons_fire_every_real_interval_daily_once(tz, change, daily):
    start, end = change - timedelta(hours=3, minutes=2), change + timedelta(hours=3, minutes=3)
    runs = run_clock(
        start,
        end,
        hourly=schedule("@hourly", tz),
        quarter=schedule("*/15 * * * *", tz),
        daily=schedule(daily, tz),
    )
    first, last = change - timedelta(hours=3), change + timedelta(hours=3)
    assert runs["hourly"] == every(first, last, timedelta(hours=1))  # 7, the repeated hour too
    assert runs["quarter"] == every(first, last, timedelta(minutes=15))  # 25
    assert runs["daily"] == [change - timedelta(minutes=30)]  # the first of the two 0x:30s
    assert Job.objects.count() == ScheduleRun.objects.count() == 7 + 25 + 1


@pytest.mark.parametrize(
    ("tz", "change"),
    [
        ("Europe/Berlin", datetime(2026, 3, 29, 1, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 3, 8, 7, tzinfo=UTC)),
    ],
)
def test_spring_forward_daily_shifts_and_interval_crons_never_double(tz, change):
    start, end = change - timedelta(hours=3, minutes=2), change + timedelta(hours=3, minutes=3)
    runs = run_clock(
        start,
        end,
        hourly=schedule("@hourly", tz),
        quarter=schedule("*/15 * * * *", tz),
        daily=schedule("30 2 * * *", tz),
    )
    first, last = change - timedelta(hours=3), change + timedelta(hours=3)
    assert runs["hourly"] == every(first, last, timedelta(hours=1))  # 03:00 once
    assert runs["quarter"] == every(first, last, timedelta(minutes=15))
    assert runs["daily"] == [change + timedelta(minutes=30)]  # 02:30 does not exist: 03:30
