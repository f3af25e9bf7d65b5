"""SIGTERM under load: workers stop claiming, finish what they hold and leave nothing RUNNING."""

import pytest

from django_jobs.models import Job, Worker
from tests.worker.helpers import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.parametrize("drill", ["database", "huey"], indirect=True)
def test_sigterm_under_load_finishes_running_jobs_and_runs_none_twice(drill):
    drill.enqueue(2000, seconds=0.005)
    for _ in range(2):
        drill.start()
    wait_until(lambda: drill.count(status="SUCCESSFUL") >= 300, timeout=60)
    assert drill.stop_all() == [0, 0]
    assert not Job.objects.filter(status="RUNNING").exists()
    assert drill.unfinished() > 0  # the stop came mid-load
    assert not Worker.objects.filter(stopped_at=None).exists()

    rest = drill.start("--burst", "--concurrency", "4", "--no-scheduler")
    assert rest.wait(timeout=120) == 0, rest.output
    report = drill.audit()
    assert report.problems() == []
    assert report.successful == report.enqueued == report.runs  # each ran exactly once
    assert report.worker_lost == 0
