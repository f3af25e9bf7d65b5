import pytest

from django_jobs import api
from django_jobs.exceptions import InvalidTransition
from django_jobs.store import JobStore
from tests import tasks

pytestmark = pytest.mark.django_db


def claim():
    return JobStore().claim(backend_name="default", worker_id="w", limit=10, lease_seconds=30)


def test_paused_queue_is_skipped_until_resumed():
    tasks.add.enqueue(1, 2)
    api.pause_queue("default", "default")
    assert claim() == []
    api.resume_queue("default", "default")
    assert len(claim()) == 1


def test_run_now_refuses_a_finished_job():
    result = tasks.add.enqueue(1, 2)
    api.cancel(result.id)
    with pytest.raises(InvalidTransition, match="only READY jobs can run now"):
        api.run_now(result.id)
