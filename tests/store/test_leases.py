"""Leases: renewal, rescue after expiry, and fencing of late results."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.store import JobStore
from tests import tasks

pytestmark = pytest.mark.django_db


def claim(store, worker_id="w1"):
    (job,) = store.claim(backend_name="default", worker_id=worker_id, limit=1, lease_seconds=30)
    return job


def expire(job):
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_expired_lease_is_rescued_and_the_late_result_is_fenced_out():
    store = JobStore()
    tasks.add.enqueue(1, 2)
    first_run = claim(store, "w1")
    expire(first_run)
    assert store.recover_expired() == (1, 0)
    rescued = Job.objects.get()
    assert rescued.status == "READY" and rescued.attempts == 1
    assert rescued.errors[0]["exception_class_path"] == "django_jobs.exceptions.WorkerLost"

    second_run = claim(store, "w2")
    assert store.succeed(first_run, "late") is False  # the first worker comes back too late
    assert store.succeed(second_run, 3) is True
    job = Job.objects.get()
    assert job.status == "SUCCESSFUL" and job.return_value == 3
    assert job.attempts == 2 == len(job.worker_ids) and job.worker_ids == ["w1", "w2"]


def test_expired_lease_with_no_attempts_left_fails():
    store = JobStore()
    tasks.add.using(max_attempts=1).enqueue(1, 2)
    expire(claim(store))
    assert store.recover_expired() == (0, 1)
    job = Job.objects.get()
    assert job.status == "FAILED" and job.finished_at is not None


def test_heartbeat_extends_only_the_named_jobs():
    store = JobStore()
    tasks.add.enqueue(1, 2)
    tasks.add.enqueue(3, 4)
    kept, orphan = store.claim(backend_name="default", worker_id="w", limit=2, lease_seconds=1)
    assert store.extend_leases("w", [kept.pk], 60) == 1
    kept.refresh_from_db()
    orphan.refresh_from_db()
    assert kept.lease_expires_at > orphan.lease_expires_at + timedelta(seconds=30)


def test_release_hands_back_without_failing():
    store = JobStore()
    tasks.add.enqueue(1, 2)
    job = claim(store)
    assert store.release(job) is True
    job = Job.objects.get()
    assert job.status == "READY" and job.attempts == 1 and not job.errors


@pytest.mark.django_db(transaction=True)
def test_threads_competing_for_jobs_never_claim_one_twice():
    for n in range(400):
        tasks.add.enqueue(n, n)
    claimed: list = []
    lock = threading.Lock()

    def compete(worker_id):
        store = JobStore()
        try:
            while jobs := store.claim(
                backend_name="default", worker_id=worker_id, limit=7, lease_seconds=30
            ):
                with lock:
                    claimed.extend(job.pk for job in jobs)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=compete, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 400 == len(set(claimed))
    assert Job.objects.filter(attempts=1, status="RUNNING").count() == 400
