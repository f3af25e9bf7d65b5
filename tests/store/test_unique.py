import pytest

from django_jobs.api import cancel, requeue
from django_jobs.exceptions import InvalidTransition
from django_jobs.models import Job
from django_jobs.testing import run_until_empty
from tests import tasks
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
