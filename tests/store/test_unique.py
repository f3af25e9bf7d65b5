import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from django_jobs import api
from django_jobs.api import cancel, requeue
from django_jobs.exceptions import InvalidTransition
from django_jobs.models import Job
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.backends.plans import BACKLOG, plan_steps
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_with_one_key_store_one_job():
    ids = run_concurrently(lambda: tasks.add.using(unique_key="report:7").enqueue(1, 2).id, 8)
    assert len(ids) == 8 and len(set(ids)) == 1
    assert Job.objects.count() == 1


def test_cancel_and_requeue():
    result = tasks.add.enqueue(1, 2)
    assert cancel(result.id).status == "CANCELLED"
    assert run_until_empty() == 0
    with pytest.raises(InvalidTransition, match="only READY or RUNNING"):
        cancel(result.id)
    assert requeue(result.id).status == "READY"
    assert run_until_empty() == 1
    assert Job.objects.get().status == "SUCCESSFUL"
    with pytest.raises(Job.DoesNotExist):
        cancel("00000000-0000-0000-0000-000000000000")


def test_requeue_refuses_unfinished_and_key_conflicts():
    first = tasks.add.using(unique_key="k").enqueue(1, 2)
    with pytest.raises(InvalidTransition, match="only finished"):
        requeue(first.id)
    cancel(first.id)
    tasks.add.using(unique_key="k").enqueue(3, 4)
    with pytest.raises(InvalidTransition, match="unique key"):
        requeue(first.id)
    assert Job.objects.get(pk=first.id).status == "CANCELLED"


def test_a_search_by_key_reads_the_keyed_jobs_index_only():
    """The key index holds only jobs that have a key (most have none, and so cost no
    entry on every write), and a search by key, the admin's included, still uses it."""
    api.enqueue_many(tasks.add, [((n, n), {}) for n in range(BACKLOG)])
    keyed = tasks.add.using(unique_key="invoice:42").enqueue(1, 2)
    job_admin = admin.site.get_model_admin(Job)
    found, _ = job_admin.get_search_results(
        RequestFactory().get("/"), Job.objects.all(), "invoice:42"
    )
    with CaptureQueriesContext(connection) as queries:
        assert [str(job.pk) for job in found] == [keyed.id]
    (sql,) = [query["sql"] for query in queries.captured_queries]
    steps = " ".join(plan_steps(sql))
    assert "django_jobs_ukey_idx" in steps
    assert "SCAN django_jobs_job " not in steps and "Seq Scan" not in steps, steps
    assert "IS NOT NULL" in index_definition("django_jobs_ukey_idx").upper()


def index_definition(name: str) -> str:
    """The CREATE INDEX statement of index ``name`` as the database holds it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        (definition,) = cursor.fetchone()
    return definition
