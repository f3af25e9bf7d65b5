"""``run_jobs --processes N``: several worker processes, restarted when they die."""

import os
import signal

import pytest
from django.db import transaction

from bench.workers import process_parents
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


@pytest.mark.parametrize(
    ("whole_group", "clean_exit", "status"),
    [(False, True, "SUCCESSFUL"), (True, False, "READY")],
    ids=["parent-only", "every-process"],
)
def test_sigterm_to_the_parent_drains_but_to_every_process_stops_at_once(
    tmp_path, whole_group, clean_exit, status
):
    """Why the systemd unit says KillMode=mixed: the parent forwards SIGTERM, so a SIGTERM
    sent to every process as well (KillMode=control-group) can be a second one for a child."""
    ledger = tmp_path / "ledger"
    result = tasks.sleep_then_record.enqueue(1, 3.0)
    supervisor = WorkerProcess("--processes", "2", "--grace", "30", ledger=ledger)
    wait_until(lambda: Job.objects.get(pk=result.id).status == "RUNNING")
    wait_until(lambda: Worker.objects.filter(stopped_at=None).count() == 2)
    children = list(Worker.objects.filter(stopped_at=None).values_list("pid", flat=True))
    if whole_group:  # the children first: two signals sent at the same instant may merge into one
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        wait_until(lambda: supervisor.output.count(" stopping: ") == 2)
    supervisor.signal(signal.SIGTERM)
    assert (supervisor.wait(timeout=60) == 0) is clean_exit, supervisor.output
    assert Job.objects.get(pk=result.id).status == status


def test_sigterm_while_the_children_start_is_a_clean_stop():
    """Children still setting Django up die of the forwarded SIGTERM: nothing was claimed."""
    supervisor = WorkerProcess("--processes", "2")

    def children() -> list[int]:
        parents = process_parents()
        return [pid for pid, parent in parents.items() if parent == supervisor.process.pid]

    wait_until(lambda: len(children()) == 2, timeout=30, interval=0.005)
    supervisor.signal(signal.SIGTERM)
    assert supervisor.wait(timeout=60) == 0, supervisor.output
    assert not Worker.objects.exists()  # neither child got as far as starting its loop
