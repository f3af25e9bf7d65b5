"""Huey mode's outbox reads: what the sweep finds, and that a backlog is not read to find it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_jobs import api
from django_jobs.models import Job
from django_jobs.store import JobStore
from tests import tasks
from tests.backends.plans import BACKLOG, job_table_whole_reads, plan_steps

pytestmark = pytest.mark.django_db


def test_a_fresh_job_is_stored_dispatched_in_every_mode():
    """Stored published (or, in huey mode, its publish reserved): not the sweep's to send."""
    job = Job.objects.get(pk=tasks.add.enqueue(1, 2).id)
    assert job.dispatched_at == job.enqueued_at
    (other,) = api.enqueue_many(tasks.add, [((1, 2), {})])
    assert Job.objects.get(pk=other.id).dispatched_at is not None


def test_undispatched_jobs_are_found_in_publish_order():
    api.enqueue_many(tasks.add, [((n, n), {}) for n in range(20)])
    low = tasks.add.using(priority=-5).enqueue(0, 0).id
    high = tasks.add.using(priority=5).enqueue(0, 0).id
    first, second = (tasks.add.enqueue(0, 0).id for _ in range(2))
    ids = [low, high, second, first]
    JobStore().undo_dispatch_many(ids)  # their sends failed
    Job.objects.filter(pk=first).update(run_after=timezone.now() - timedelta(minutes=1))

    found = JobStore().undispatched("default", older_than=0, limit=10)
    assert [str(job.pk) for job in found] == [high, first, second, low]
    assert JobStore().undispatched("default", older_than=0, limit=2) == found[:2]
    assert JobStore().undispatched("default", older_than=60, limit=10) == []  # too recent
    assert JobStore().undispatched("other", older_than=0, limit=10) == []


def test_queues_with_due_jobs_are_each_named_once():
    """One row per queue, not one per job (nor per enqueue time)."""
    for queue_name, count in [("emails", 3), ("default", 2), ("webhooks", 1)]:
        for _ in range(count):
            tasks.add.using(queue_name=queue_name).enqueue(0, 0)
    later = timezone.now() + timedelta(hours=1)
    tasks.add.using(queue_name="low", run_after=later).enqueue(0, 0)  # not due
    running = tasks.add.using(queue_name="high").enqueue(0, 0)
    Job.objects.filter(pk=running.id).update(status="RUNNING")
    Job.objects.filter(queue_name="webhooks").update(backend_name="other")

    assert JobStore().queues_with_due_jobs("default") == ["default", "emails"]
    assert JobStore().queues_with_due_jobs("other") == ["webhooks"]
    assert JobStore().queues_with_due_jobs("none") == []


def test_stale_dispatched_names_due_jobs_published_long_ago():
    old, recent, later = (tasks.add.enqueue(0, 0).id for _ in range(3))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk__in=[old, later]).update(dispatched_at=an_hour_ago)
    Job.objects.filter(pk=later).update(run_after=timezone.now() + timedelta(hours=1))
    tasks.add.using(queue_name="emails").enqueue(0, 0)

    stale = JobStore().stale_dispatched("default", "default", older_than=60)
    assert [str(job_id) for job_id in stale] == [old]
    assert JobStore().stale_dispatched("default", "emails", older_than=0) != []
    assert JobStore().stale_dispatched("default", "default", older_than=7200) == []


def test_the_sweeps_reads_do_not_read_the_backlog():
    """Every worker sweeps on every heartbeat: with a backlog of published jobs, each
    read stays in its index's few matching entries: no whole scan, no sort."""
    api.enqueue_many(tasks.add, [((n, n), {}) for n in range(BACKLOG)])
    store = JobStore()
    with CaptureQueriesContext(connection) as queries:
        assert store.undispatched("default", older_than=0, limit=500) == []
        assert store.queues_with_due_jobs("default") == ["default"]
        assert len(store.stale_dispatched("default", "default", older_than=0)) == 500
    reads = [query["sql"] for query in queries.captured_queries]
    assert len(reads) == 3
    assert {sql: job_table_whole_reads(sql) for sql in reads if job_table_whole_reads(sql)} == {}
    assert "django_jobs_outbox_idx" in " ".join(plan_steps(reads[0]))
    assert "django_jobs_claim_idx" in " ".join(plan_steps(reads[1]))
