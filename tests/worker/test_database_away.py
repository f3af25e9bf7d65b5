"""A database away for longer than the worker's retries: the claim loop goes on.

In-process workers on the run's database; the retries that give up after a lease
(``store/reconnect.py``) are stood in for by a store method that raises at once.
"""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.store import JobStore
from django_jobs.worker.options import WorkerOptions
from django_jobs.worker.runner import Worker
from tests import tasks

pytestmark = pytest.mark.django_db(transaction=True)


def database_gone(*args, **kwargs):
    raise OperationalError("the connection was closed by a restart")


def claimed_jobs(worker: Worker, count: int) -> list[Job]:
    for n in range(count):
        tasks.record.enqueue(n)
    jobs = worker._claim(count)
    assert len(jobs) == count
    return jobs


def test_jobs_the_database_would_not_take_back_return_when_their_leases_end(monkeypatch, caplog):
    worker = Worker(WorkerOptions())
    jobs = claimed_jobs(worker, 2)
    monkeypatch.setattr(JobStore, "release", database_gone)

    assert worker._hand_back(jobs) == []

    assert "could not hand back 2 job(s)" in caplog.text
    monkeypatch.undo()
    assert set(Job.objects.values_list("status", flat=True)) == {"RUNNING"}
    Job.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    JobStore().recover_expired()
    assert set(Job.objects.values_list("status", flat=True)) == {"READY"}


def test_a_burst_worker_that_cannot_ask_the_database_claims_again(monkeypatch):
    worker = Worker(WorkerOptions(burst=True))
    monkeypatch.setattr(JobStore, "paused_queues", database_gone)

    assert worker._claimable_now()
