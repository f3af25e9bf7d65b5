"""Four real worker processes run the scheduler: every tick is enqueued exactly once."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from django_jobs.models import Job, Schedule, ScheduleRun
from tests.worker.helpers import ROOT, database_url, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@contextmanager
def four_schedulers(schedules, base, speed, *, after=1):
    """Four ``run_jobs`` processes whose scheduler clocks read ``base`` ``after`` seconds on."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url(),
        "JOBS_TEST_SCHEDULES": schedules,
        "FAST_CLOCK_BASE": str(base.timestamp()),
        "FAST_CLOCK_START": str(time.time() + after),
        "FAST_CLOCK_SPEED": str(speed),
    }
    command = [
        sys.executable,
        str(ROOT / "tests/worker/fast_clock_worker.py"),
        "--concurrency",
        "2",
    ]
    workers = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(4)
    ]
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0, 0]


def ticks_of(name):
    return sorted(ScheduleRun.objects.filter(schedule__name=name).values_list("tick", flat=True))


def gaps(ticks):
    return {(b - a).total_seconds() for a, b in zip(ticks, ticks[1:], strict=False)}


def test_four_schedulers_enqueue_each_tick_once():
    # A fixed simulated start, well in the future; one simulated minute per second.
    with four_schedulers("every-minute", datetime.fromtimestamp(1780000000, tz=UTC), speed=60):
        wait_until(lambda: ScheduleRun.objects.count() >= 10, timeout=90)
    ticks = ticks_of("every-minute")
    assert len(ticks) == len(set(ticks))  # no tick twice
    assert gaps(ticks) == {60.0}  # and none skipped
    assert Job.objects.filter(task_path="tests.tasks.noop").count() == len(ticks)
    assert Schedule.objects.get(name="every-minute").last_tick_at == ticks[-1]


def test_four_schedulers_across_the_autumn_change_fire_each_tick_once():
    # Europe/Berlin, 2026-10-25: at 01:00 UTC clocks go back from 03:00 CEST to 02:00 CET.
    change = datetime(2026, 10, 25, 1, tzinfo=UTC)
    # Five simulated minutes a second, so a tick every two seconds; the processes have seven
    # seconds to start before the repeated hour begins.
    with four_schedulers("dst", change - timedelta(hours=1, minutes=20), speed=300, after=3):
        last = ScheduleRun.objects.filter(schedule__name="hourly", tick=change + timedelta(hours=1))
        wait_until(last.exists, timeout=90)
    assert Schedule.objects.get(name="hourly").created_at < change - timedelta(hours=1)
    ten = ticks_of("every-10-minutes")
    assert len(ten) == len(set(ten)) and gaps(ten) == {600.0}  # every 10 real minutes
    assert ten[0] < change - timedelta(hours=1) and ten[-1] >= change + timedelta(hours=1)
    assert ticks_of("hourly") == [
        change - timedelta(hours=1),  # 02:00 CEST
        change,  # 02:00 CET, the second time round
        change + timedelta(hours=1),  # 03:00 CET
    ]
    assert ticks_of("daily-0230") == [change - timedelta(minutes=30)]  # the first 02:30 only
    assert not ScheduleRun.objects.filter(job_id=None).exists()
    assert Job.objects.count() == ScheduleRun.objects.count()
