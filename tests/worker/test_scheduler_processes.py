"""Four real worker processes run the scheduler: every tick is enqueued exactly once."""

import os
import subprocess
import sys
import time

import pytest

from django_jobs.models import Job, Schedule, ScheduleRun
from tests.worker.helpers import ROOT, database_url, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_four_schedulers_enqueue_each_tick_once(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url(),
        "JOBS_TEST_SCHEDULES": "every-minute",
        "FAST_CLOCK_BASE": "1780000000",  # a fixed simulated start, well in the future
        "FAST_CLOCK_START": str(time.time() + 1),
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
        wait_until(lambda: ScheduleRun.objects.count() >= 10, timeout=90)
    finally:
        for worker in workers:
            worker.terminate()
        assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0, 0]
    ticks = sorted(ScheduleRun.objects.values_list("tick", flat=True))
    assert len(ticks) == len(set(ticks))  # no tick twice
    gaps = {(b - a).total_seconds() for a, b in zip(ticks, ticks[1:], strict=False)}
    assert gaps == {60.0}  # and none skipped
    assert Job.objects.filter(task_path="tests.tasks.noop").count() == len(ticks)
    assert Schedule.objects.get(name="every-minute").last_tick_at == ticks[-1]
