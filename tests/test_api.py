import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_jobs import api
from django_jobs.exceptions import InvalidTransition
from django_jobs.models import Queue
from django_jobs.store import JobStore
from tests import tasks
from tests.concurrency import a_worker_keeps_writing, sqlite_deferred_transactions

pytestmark = pytest.mark.django_db


def claim():
    return JobStore().claim(backend_name="default", worker_id="w", limit=10, lease_seconds=30)


def test_paused_queue_is_skipped_until_resumed():
    tasks.add.enqueue(1, 2)
    api.pause_queue("default", "default")
    assert claim() == []
    api.resume_queue("default", "default")
    assert len(claim()) == 1


def test_pausing_writes_before_it_reads():
    """A read first would make the write fail at once on SQLite after any worker's write."""
    with CaptureQueriesContext(connection) as created:
        queue = api.pause_queue("default", "emails")
    with CaptureQueriesContext(connection) as updated:
        assert api.resume_queue("default", "emails").pk == queue.pk
    for queries in (created, updated):
        statements = [q["sql"].lstrip().split()[0].upper() for q in queries.captured_queries]
        first_write = next(i for i, s in enumerate(statements) if s in ("UPDATE", "INSERT"))
        assert "SELECT" not in statements[:first_write], statements
    assert (queue.paused, Queue.objects.get(pk=queue.pk).paused) == (True, False)
    assert Queue.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_pause_and_resume_succeed_while_a_worker_keeps_writing():
    """Before the row was written first, 30% of these failed on SQLite ("database is locked")."""
    with sqlite_deferred_transactions(), a_worker_keeps_writing():
        for turn in range(200):
            (api.pause_queue if turn % 2 else api.resume_queue)("default", "emails")
    assert Queue.objects.get(name="emails").paused


def test_run_now_refuses_a_finished_job():
    result = tasks.add.enqueue(1, 2)
    api.cancel(result.id)
    with pytest.raises(InvalidTransition, match="only READY jobs can run now"):
        api.run_now(result.id)
