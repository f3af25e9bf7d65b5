"""Cancelling a running job: the worker stops its code at the next heartbeat, records it as
CANCELLED (no retry), and goes on with other jobs. Database and huey modes, real processes."""

import signal

import pytest

from django_jobs import api
from django_jobs.models import Job
from django_jobs.timeouts import cancel_running
from tests import tasks
from tests.worker.helpers import WorkerProcess, ledger_lines, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(params=["database", "huey"])
def start_worker(request, tmp_path):
    env = {}
    if request.param == "huey":
        server = request.getfixturevalue("huey_settings")
        env = {"JOBS_TEST_BACKEND": "huey", "REDIS_URL": server.url}
    ledger = tmp_path / "ledger.txt"
    started = []

    def start():
        started.append(WorkerProcess("--concurrency", "2", ledger=ledger, env=env))
        return started[-1]

    yield start, ledger
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def test_a_running_job_stops_when_cancelled_and_the_worker_goes_on(start_worker):
    start, ledger = start_worker
    worker = start()
    busy = tasks.busy_for.enqueue(1, 60)
    wait_until(lambda: "start 1" in ledger_lines(ledger), timeout=30)

    job = api.cancel(busy.id)
    assert job.status == "RUNNING" and job.cancel_requested  # asked, not yet stopped
    wait_until(lambda: Job.objects.get(pk=busy.id).status == "CANCELLED", timeout=15)

    cancelled = Job.objects.get(pk=busy.id)
    assert cancelled.errors[-1]["exception_class_path"] == "django_jobs.exceptions.JobCancelled"
    assert cancelled.attempts == 1 and "end 1" not in ledger_lines(ledger)
    follow_up = tasks.record.enqueue(2)
    wait_until(lambda: Job.objects.get(pk=follow_up.id).status == "SUCCESSFUL", timeout=30)
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    assert Job.objects.get(pk=busy.id).status == "CANCELLED"  # not handed back at shutdown


def test_cancelling_a_job_that_runs_nowhere_here_does_nothing():
    assert cancel_running("no-such-job") is False
