"""Database-mode specifics: jobs wait for a worker, in priority and run_after order."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from django_jobs import api
from django_jobs.compat import TaskResultStatus
from django_jobs.models import Job
from django_jobs.store import JobStore
from django_jobs.testing import run_until_empty
from tests import tasks

pytestmark = pytest.mark.django_db


def claim_all(limit=100):
    return JobStore().claim(backend_name="default", worker_id="w", limit=limit, lease_seconds=30)


def test_enqueue_only_stores_the_job():
    result = tasks.add.enqueue(1, 2)
    assert result.status == TaskResultStatus.READY
    job = Job.objects.get(pk=result.id)
    assert job.status == "READY" and job.attempts == 0 and job.run_after == job.enqueued_at


def test_enqueue_writes_only_the_columns_that_are_not_null():
    """The rest are NULL by default; a job's options set their columns when given."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        plain = tasks.add.enqueue(1, 2)
        keyed = tasks.add.using(unique_key="k", timeout=5, backoff=2.0).enqueue(3, 4)
    plain_sql, keyed_sql = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert '"unique_key"' not in plain_sql and '"finished_at"' not in plain_sql
    assert '"unique_key"' in keyed_sql and '"timeout"' in keyed_sql
    stored = Job.objects.get(pk=keyed.id)
    assert (stored.unique_key, stored.active_unique_key) == ("k", "k")
    assert (stored.timeout, stored.backoff, stored.args) == (5, 2.0, [3, 4])
    assert Job.objects.get(pk=plain.id).unique_key is None


def test_claim_order_is_priority_then_run_after():
    now = timezone.now()
    low = tasks.add.using(priority=-5).enqueue(0, 0)
    old = tasks.add.using(run_after=now - timedelta(minutes=5)).enqueue(0, 1)
    new = tasks.add.enqueue(0, 2)
    high = tasks.add.using(priority=50).enqueue(0, 3)
    future = tasks.add.using(run_after=now + timedelta(hours=1)).enqueue(0, 4)
    claimed = [str(job.pk) for job in claim_all()]
    assert claimed == [high.id, old.id, new.id, low.id]
    assert future.id not in claimed


def test_jobs_due_together_are_claimed_in_enqueue_order():
    """Ties of priority and run_after go by id, and ids are made in time order."""
    results = api.enqueue_many(tasks.add, [((i, 0), {}) for i in range(200)])
    results += [tasks.add.enqueue(i, 1) for i in range(5)]
    now = timezone.now()
    Job.objects.update(run_after=now)
    enqueued = [r.id for r in results]
    for start in range(0, len(enqueued), 25):
        assert [str(job.pk) for job in claim_all(limit=25)] == enqueued[start : start + 25]


def test_claim_counts_the_attempt_and_records_the_worker():
    tasks.add.enqueue(1, 1)
    (job,) = claim_all()
    assert job.status == "RUNNING" and job.attempts == 1 and job.worker_ids == ["w"]
    assert job.lease_expires_at > timezone.now()
    assert claim_all() == []


def test_claim_respects_queues_limit_and_paused_queues():
    from django_jobs.models import Queue

    tasks.add.enqueue(1, 1)
    tasks.echo.enqueue(1)  # queue "emails"
    store = JobStore()
    Queue.objects.create(backend_name="default", name="emails", paused=True)
    kwargs = {"backend_name": "default", "worker_id": "w", "lease_seconds": 30}
    assert store.claim(limit=10, queues=["emails"], **kwargs) == []
    (job,) = store.claim(limit=10, **kwargs)
    assert job.queue_name == "default"


def test_retry_waits_for_backoff():
    tasks.fail_until.enqueue(2)
    assert run_until_empty() == 1
    job = Job.objects.get()
    assert job.status == "READY" and job.run_after > timezone.now() - timedelta(seconds=1)
    assert run_until_empty(include_scheduled=True) == 1
    assert Job.objects.get().status == "SUCCESSFUL"


def test_backoff_grows_exponentially(settings):
    settings.JOBS = {**settings.JOBS, "BACKOFF": 10, "BACKOFF_JITTER": 0, "BACKOFF_MAX": 3600}
    tasks.always_fail.enqueue()
    delays = []
    for _ in range(2):
        before = timezone.now()
        run_until_empty(include_scheduled=True, max_jobs=1)
        job = Job.objects.get()
        delays.append(round((job.run_after - before).total_seconds()))
    assert delays == [10, 20]


def test_stored_job_naming_a_non_task_fails_clearly():
    Job.objects.create(
        task_path="tests.tasks.not_a_task", queue_name="default", backend_name="default"
    )
    Job.objects.create(task_path="tests.nowhere.gone", queue_name="default", backend_name="default")
    assert run_until_empty() == 2
    errors = sorted(job.errors[0]["message"] for job in Job.objects.all())
    assert all(job.status == "FAILED" for job in Job.objects.all())
    assert "cannot be imported" in errors[0] and "not a Task" in errors[1]


def test_rolled_back_enqueue_never_runs():
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.record.enqueue(1)
        raise RuntimeError("rollback")
    assert run_until_empty(include_scheduled=True) == 0
    assert not Job.objects.exists()


@pytest.fixture
def listener():
    """A connection of its own LISTENing where idle workers do."""
    from django.db import connection

    from django_jobs.db.notify import CHANNEL

    listening = connection.Database.connect(**connection.get_connection_params(), autocommit=True)
    listening.execute(f"LISTEN {CHANNEL}")
    yield listening
    listening.close()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_one_statement_stores_the_job_and_wakes_workers_on_commit(listener):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_jobs.db.notify import CHANNEL

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        tasks.add.enqueue(1, 2)
        assert list(listener.notifies(timeout=0.2, stop_after=1)) == []  # not before commit
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1
    assert "INSERT INTO" in statements[0] and "pg_notify" in statements[0]
    woken = list(listener.notifies(timeout=5, stop_after=1))
    assert [(n.channel, n.payload) for n in woken] == [(CHANNEL, "default")]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_rolled_back_enqueue_wakes_nobody(listener):
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.add.enqueue(1, 2)
        raise RuntimeError("rolled back")
    assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
    assert not Job.objects.exists()
