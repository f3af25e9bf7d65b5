from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_jobs.models import Job, PrunedJobs
from django_jobs.store import JobStore
from tests.backends.plans import sqlite_whole_reads
from tests.concurrency import (
    a_worker_keeps_writing,
    run_concurrently,
    sqlite_deferred_transactions,
)

pytestmark = pytest.mark.django_db
RETENTION = {"SUCCESSFUL": 86400, "SUCCESSFUL_KEEP": 1000, "FAILED": 60, "CANCELLED": 60}


def job(status, age_hours, **extra):
    finished = timezone.now() - timedelta(hours=age_hours)
    return Job(
        task_path="tests.tasks.noop",
        queue_name="default",
        backend_name="default",
        status=status,
        finished_at=None if status in ("READY", "RUNNING") else finished,
        enqueued_at=finished,
        **extra,
    )


def test_retention_rules(settings, capsys):
    settings.JOBS = {"RETENTION": {"SUCCESSFUL_KEEP": 5}}
    Job.objects.bulk_create(
        [job("SUCCESSFUL", h) for h in (1, 2, 3)]  # recent: kept
        + [job("SUCCESSFUL", 30 + h) for h in range(4)]  # old
        + [job("FAILED", 24 * 6), job("FAILED", 24 * 8)]
        + [job("CANCELLED", 24 * 8)]
        + [job("READY", 24 * 30), job("RUNNING", 24 * 30)]  # unfinished: never
    )
    call_command("prune_jobs")
    assert "Deleted 6 jobs (successful: 4, failed: 1, cancelled: 1)" in capsys.readouterr().out
    left = sorted(Job.objects.values_list("status", flat=True))
    assert left == ["FAILED", "READY", "RUNNING"] + ["SUCCESSFUL"] * 3


def test_newest_are_capped_even_when_recent(settings):
    settings.JOBS = {"RETENTION": {"SUCCESSFUL_KEEP": 2}}
    Job.objects.bulk_create([job("SUCCESSFUL", h) for h in (1, 2, 3, 4)])
    from django_jobs.api import prune

    assert prune()["SUCCESSFUL"] == 2
    assert Job.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_pruning_reads_no_whole_table_or_index():
    """The finished index holds finished jobs only (``finished_at`` set): a rule that
    did not say ``finished_at`` is set would sort every successful job instead, and
    so would each batch that kept the model's ordering."""
    Job.objects.bulk_create(
        [job(status, 24 * 9) for status in ("SUCCESSFUL", "FAILED", "CANCELLED") for _ in range(50)]
        + [job("READY", 1) for _ in range(50)]
    )
    with CaptureQueriesContext(connection) as queries:
        JobStore().prune(RETENTION | {"SUCCESSFUL_KEEP": 10}, batch=20)
    reads = [q["sql"] for q in queries if '"django_jobs_job"' in q["sql"].split(" WHERE ")[0]]
    assert len(reads) > 10
    assert {sql: sqlite_whole_reads(sql) for sql in reads if sqlite_whole_reads(sql)} == {}


def test_prune_task_deletes_in_batches():
    Job.objects.bulk_create([job("FAILED", 2) for _ in range(1234)])
    assert JobStore().prune(RETENTION, batch=100)["FAILED"] == 1234


def test_prune_command_rejects_arguments():
    with pytest.raises(CommandError):
        call_command("prune_jobs", "--days", "3")


def test_week_old_worker_rows_are_forgotten():
    from django_jobs.api import prune
    from django_jobs.models import Worker

    for name, age in (("old", 8), ("recent", 1)):
        Worker.objects.create(
            id=name,
            hostname="h",
            pid=1,
            backend_name="default",
            queues=[],
            concurrency=1,
            heartbeat_at=timezone.now() - timedelta(days=age),
        )
    prune()
    assert list(Worker.objects.values_list("id", flat=True)) == ["recent"]


def test_a_job_requeued_after_its_id_was_read_is_kept(settings, monkeypatch):
    """Requeue sets the same row back to READY: deleting by id alone would lose the job."""
    from django.db import transaction

    from django_jobs import api
    from django_jobs.store import retention

    settings.JOBS = {"RETENTION": {"FAILED": 60}}
    requeued, _pruned = Job.objects.bulk_create([job("FAILED", 2), job("FAILED", 2)])

    class RequeueFirst:
        """Requeue one job between the pruner's read of ids and its transaction."""

        @staticmethod
        def atomic(**kwargs):
            if Job.objects.get(pk=requeued.pk).status == "FAILED":
                api.requeue(requeued.pk)
            return transaction.atomic(**kwargs)

    monkeypatch.setattr(retention, "transaction", RequeueFirst)
    assert api.prune()["FAILED"] == 1
    assert list(Job.objects.values_list("pk", "status")) == [(requeued.pk, "READY")]
    assert list(PrunedJobs.objects.values_list("status", "count")) == [("FAILED", 1)]


@pytest.mark.django_db(transaction=True)
def test_pruning_succeeds_while_a_worker_keeps_writing():
    """On SQLite begun DEFERRED, a read first made the delete fail with "database is locked"."""
    Job.objects.bulk_create([job("FAILED", 2) for _ in range(300)])
    with sqlite_deferred_transactions(), a_worker_keeps_writing():
        deleted = JobStore().prune(RETENTION, batch=2)["FAILED"]
    assert deleted == 300
    assert PrunedJobs.objects.get(status="FAILED").count == 300
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_pruners_at_once_count_each_deleted_job_once():
    """Both pick the same batches: each job is deleted and added to the totals exactly once."""
    Job.objects.bulk_create([job("FAILED", 2) for _ in range(400)])
    deleted = run_concurrently(lambda: JobStore().prune(RETENTION, batch=10)["FAILED"], 2)
    assert len(deleted) == 2  # neither pruner failed
    assert sum(deleted) == 400
    assert PrunedJobs.objects.get(status="FAILED").count == 400
