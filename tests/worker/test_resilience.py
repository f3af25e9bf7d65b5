"""Workers wake on new work without polling, and outlive a database restart.

With a one-hour poll interval, a job only runs promptly if the wake-up path works:
NOTIFY on PostgreSQL (including after the LISTEN connection was cut by a restart),
``PRAGMA data_version`` on SQLite.
"""

import pytest
from django.db import connection

from django_jobs.models import Job
from django_jobs.testing import jobs_mode
from tests import tasks
from tests.worker.helpers import WorkerProcess, ledger_lines, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

NEVER_POLL = {"JOBS_TEST_POLL_INTERVAL": "3600"}


def test_idle_worker_wakes_on_enqueue_without_polling(tmp_path):
    """With a one-hour poll interval only the wake-up (NOTIFY / data_version) can run the job."""
    ledger = tmp_path / "ledger"
    worker = WorkerProcess(ledger=ledger, env=NEVER_POLL)
    wait_until(lambda: Job.objects.count() == 0 and _worker_registered())
    # The worker runs database mode: so must this enqueue, whatever an earlier test of
    # this process left as the default backend (once, a HueyBackend, whose jobs go to Redis).
    with jobs_mode("database"):
        tasks.record.enqueue(7)
    wait_until(lambda: ledger_lines(ledger) == ["7"], timeout=20, describe=lambda: worker.output)
    worker.signal()
    assert worker.wait() == 0


def _worker_registered() -> bool:
    from django_jobs.models import Worker

    return Worker.objects.exists()


@pytest.mark.postgres_only
def test_worker_survives_a_database_restart(tmp_path, postgres_server):
    server = postgres_server
    ledger = tmp_path / "ledger"
    worker = WorkerProcess("--concurrency", "2", ledger=ledger, env=NEVER_POLL)
    tasks.record.enqueue(1)
    wait_until(lambda: ledger_lines(ledger) == ["1"])
    connection.close()
    server.restart()
    tasks.record.enqueue(2)
    wait_until(lambda: sorted(ledger_lines(ledger)) == ["1", "2"], timeout=60)
    wait_until(lambda: Job.objects.filter(status="SUCCESSFUL").count() == 2)
    assert worker.process.poll() is None  # the same process, still running
    worker.signal()
    assert worker.wait() == 0, worker.output
    assert "LISTEN connection failed" in worker.output  # it did see the outage
