"""Real worker processes: exactly-once under competition, crashes, signals."""

import collections
import signal
import time

import pytest
from django.db import transaction

from django_jobs.models import Job, Worker
from tests import tasks
from tests.worker.helpers import (
    WorkerProcess,
    drill_jobs_claimed_ahead_behind_a_slow_one,
    ledger_lines,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def ledger(tmp_path):
    return tmp_path / "ledger.txt"


def enqueue_records(count: int) -> None:
    with transaction.atomic():
        for n in range(count):
            tasks.record.enqueue(n)


def test_burst_runs_everything_due_and_exits_zero(ledger):
    enqueue_records(50)
    worker = WorkerProcess("--burst", "--concurrency", "4", ledger=ledger)
    assert worker.wait() == 0, worker.output
    assert sorted(map(int, ledger_lines(ledger))) == list(range(50))
    assert set(Job.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    row = Worker.objects.get()
    assert row.stopped_at is not None and row.jobs_done == 50


def test_four_processes_of_four_threads_run_each_job_exactly_once(ledger):
    enqueue_records(5000)
    workers = [WorkerProcess("--burst", "--concurrency", "4", ledger=ledger) for _ in range(4)]
    assert [w.wait(timeout=240) for w in workers] == [0, 0, 0, 0], [w.output for w in workers]
    counts = collections.Counter(ledger_lines(ledger))
    assert len(counts) == 5000 and set(counts.values()) == {1}
    assert Job.objects.filter(status="SUCCESSFUL", attempts=1).count() == 5000
    assert sum(Worker.objects.values_list("jobs_done", flat=True)) == 5000


def test_a_job_enqueued_in_an_open_transaction_waits_for_the_commit(ledger):
    """A polling, running worker does not see the job until the enqueuing transaction commits."""
    worker = WorkerProcess("--max-jobs", "1", ledger=ledger, env={"JOBS_TEST_POLL_INTERVAL": "0.1"})
    wait_until(Worker.objects.exists)
    with transaction.atomic():
        tasks.record.enqueue(7)
        time.sleep(2)  # twenty polls of a worker that would run a visible job at once
        assert ledger_lines(ledger) == []
    assert worker.wait() == 0, worker.output
    assert ledger_lines(ledger) == ["7"]


def test_sigkill_mid_job_loses_nothing(ledger):
    result = tasks.sleep_then_record.enqueue(1, 1.0)
    doomed = WorkerProcess(ledger=ledger)
    wait_until(lambda: "start 1" in ledger_lines(ledger))
    doomed.kill()
    rescuer = WorkerProcess("--max-jobs", "1", ledger=ledger)
    assert rescuer.wait() == 0, rescuer.output
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.attempts == 2 == len(set(result.worker_ids))
    assert result.errors[0].exception_class_path == "django_jobs.exceptions.WorkerLost"
    assert ledger_lines(ledger) == ["start 1", "start 1", "end 1"]


def test_sigterm_lets_running_jobs_finish(ledger):
    for n in range(2):
        tasks.sleep_then_record.enqueue(n, 1.0)
    worker = WorkerProcess("--concurrency", "2", ledger=ledger)
    wait_until(lambda: len(ledger_lines(ledger)) == 2)
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    assert list(Job.objects.values_list("status", flat=True)) == ["SUCCESSFUL"] * 2
    assert Worker.objects.get().stopped_at is not None


def test_a_drain_longer_than_the_lease_keeps_the_job_to_itself(ledger):
    """Leases are renewed while a stopping worker drains: with a 2 s lease and a 6 s job,
    another worker running meanwhile must not rescue the job and run it a second time."""
    result = tasks.sleep_then_record.enqueue(1, 6.0)
    stopping = WorkerProcess("--grace", "20", ledger=ledger)
    wait_until(lambda: "start 1" in ledger_lines(ledger))
    other = WorkerProcess(ledger=ledger)
    stopping.signal(signal.SIGTERM)
    assert stopping.wait() == 0, stopping.output
    other.signal(signal.SIGTERM)
    assert other.wait() == 0, other.output
    assert ledger_lines(ledger) == ["start 1", "end 1"]
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.attempts == 1


def test_grace_expiry_hands_the_job_back(ledger):
    result = tasks.sleep_then_record.enqueue(1, 30.0)
    worker = WorkerProcess("--grace", "0.5", ledger=ledger)
    wait_until(lambda: "start 1" in ledger_lines(ledger))
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    result.refresh()
    assert result.status == "READY" and result.attempts == 1 and not result.errors


def test_second_signal_hands_back_at_once_and_exits_nonzero(ledger):
    result = tasks.sleep_then_record.enqueue(1, 1.5)
    worker = WorkerProcess(ledger=ledger)
    wait_until(lambda: "start 1" in ledger_lines(ledger))
    worker.signal(signal.SIGINT)
    # Two separate presses of Ctrl+C, not one coalesced signal: wait until the first is seen.
    wait_until(lambda: "stopping" in worker.output)
    worker.signal(signal.SIGINT)
    assert worker.wait() != 0
    result.refresh()
    assert result.status == "READY" and result.attempts == 1
    assert WorkerProcess("--burst", ledger=ledger).wait() == 0
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.attempts == 2 == len(result.worker_ids)


def test_jobs_claimed_ahead_behind_a_slow_one_go_to_another_worker(ledger):
    """A worker stuck on a slow job hands back what it claimed ahead (see the helper)."""
    drill_jobs_claimed_ahead_behind_a_slow_one(
        lambda *args: WorkerProcess(*args, ledger=ledger), ledger
    )
