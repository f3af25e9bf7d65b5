"""Fencing: a run whose lease expired while it still ran cannot overwrite the rescued run.

The first worker is frozen (SIGSTOP) mid-job, as a long pause would: it stops
heartbeating, its lease expires, another worker rescues and reruns the job. Thawed,
the first run finishes and tries to record its result; the fence must refuse it.
"""

import pytest

from django_jobs.models import Job, Worker
from tests.faults.audit import WORKER_LOST
from tests.worker.helpers import ledger_lines, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ONE_AT_A_TIME = ("--concurrency", "1", "--no-scheduler")


@pytest.mark.parametrize("drill", ["database", "huey"], indirect=True)
def test_a_late_result_from_an_expired_lease_does_not_overwrite_the_rescued_run(drill):
    drill.enqueue(1, seconds=3.0)
    slow = drill.start(*ONE_AT_A_TIME)
    wait_until(lambda: "start 0 1" in ledger_lines(drill.ledger))
    drill.freeze(slow)
    rescuer = drill.start(*ONE_AT_A_TIME)
    wait_until(lambda: "start 0 2" in ledger_lines(drill.ledger), timeout=60)
    drill.thaw(slow)
    wait_until(lambda: "end 0 1" in ledger_lines(drill.ledger))
    wait_until(lambda: "lost its lease was discarded" in slow.output)
    running = Job.objects.get()
    assert running.status == "RUNNING" and running.attempts == 2  # the late write changed nothing

    drill.wait_until_finished(timeout=30)
    assert drill.stop_all() == [0, 0]
    job = Job.objects.get()
    slow_id, rescuer_id = (Worker.objects.get(pid=w.process.pid).id for w in (slow, rescuer))
    assert job.status == "SUCCESSFUL" and job.return_value == 2
    assert job.attempts == 2 and job.worker_ids == [slow_id, rescuer_id]
    assert [(e["exception_class_path"], e["worker_id"]) for e in job.errors] == [
        (WORKER_LOST, slow_id)
    ]
    assert drill.audit().problems() == []
