"""``run_jobs --processes N``: several worker processes, restarted when they die."""

import os
import signal

import pytest
from django.db import transaction

from django_jobs.models import Job, Worker
from tests import tasks
from tests.worker.helpers import WorkerProcess, ledger_lines, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_burst_with_processes_drains_and_exits_zero(tmp_path):
    ledger = tmp_path / "ledger"
    with transaction.atomic():
        for n in range(300):
            tasks.record.enqueue(n)
    supervisor = WorkerProcess("--burst", "--processes", "2", "--concurrency", "2", ledger=ledger)
    assert supervisor.wait(timeout=120) == 0, supervisor.output
    assert sorted(map(int, ledger_lines(ledger))) == list(range(300))
    assert Worker.objects.values("pid").distinct().count() == 2


def test_a_killed_child_is_replaced_and_sigterm_stops_all(tmp_path):
    ledger = tmp_path / "ledger"
    supervisor = WorkerProcess("--processes", "2", ledger=ledger)
    wait_until(lambda: Worker.objects.filter(stopped_at=None).count() == 2)
    victim = Worker.objects.order_by("started_at").first()
    os.kill(victim.pid, signal.SIGKILL)
    wait_until(lambda: Worker.objects.count() == 3, timeout=30)
    tasks.record.enqueue(1)
    wait_until(lambda: ledger_lines(ledger) == ["1"])
    supervisor.signal(signal.SIGTERM)
    assert supervisor.wait(timeout=60) == 0, supervisor.output
    assert Worker.objects.filter(stopped_at=None).get().pk == victim.pk  # only the killed one
    assert Job.objects.get().status == "SUCCESSFUL"
