"""Group commit of successful outcomes: batches under concurrency, the same fence as single
writes, and errors reported to every thread whose write was in the failing batch."""

import threading
import time

import pytest
from django.db import close_old_connections

from django_jobs.models import Job
from django_jobs.store import JobStore
from django_jobs.store.acks import AckGroup
from tests import tasks


class FakeJob:
    def __init__(self, pk):
        self.pk = pk


def run_threads(count, target):
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)


def test_concurrent_acks_share_batches_and_each_learns_its_own_fate():
    batches = []

    def write_many(outcomes):
        time.sleep(0.02)  # a slow commit: others arrive meanwhile
        batches.append([job.pk for job, _ in outcomes])
        return {job.pk for job, _ in outcomes if job.pk % 5}  # multiples of 5 lost the fence

    group = AckGroup(write_many)
    results = {}
    run_threads(20, lambda n: results.__setitem__(n, group.succeed(FakeJob(n), n)))
    assert sorted(pk for batch in batches for pk in batch) == list(range(20))
    assert len(batches) < 20  # shared transactions
    assert results == {n: bool(n % 5) for n in range(20)}


def test_a_lone_ack_is_written_at_once():
    group = AckGroup(lambda outcomes: {job.pk for job, _ in outcomes})
    assert group.succeed(FakeJob(1), None) is True


def test_a_failing_batch_raises_in_every_thread_and_the_next_batch_still_runs():
    calls = []

    def write_many(outcomes):
        calls.append(len(outcomes))
        if len(calls) == 1:
            time.sleep(0.02)
            raise ConnectionError("database went away")
        return {job.pk for job, _ in outcomes}

    group = AckGroup(write_many)
    errors, oks = [], []

    def ack(n):
        try:
            oks.append(group.succeed(FakeJob(n), n))
        except ConnectionError:
            errors.append(n)

    run_threads(6, ack)
    assert len(errors) == calls[0] and len(errors) + len(oks) == 6 and all(oks)


@pytest.mark.django_db(transaction=True)
def test_group_commit_keeps_the_lease_fence():
    """Each leg of the fence (worker, attempt, status) holds for its own row in a batch."""
    store = JobStore(group_commit=True)
    for n in range(8):
        tasks.add.enqueue(n, n)
    jobs = store.claim(backend_name="default", worker_id="w1", limit=8, lease_seconds=30)
    stolen, rerun, rescued = jobs[0], jobs[1], jobs[2]
    Job.objects.filter(pk=stolen.pk).update(worker_id="someone-else")
    Job.objects.filter(pk=rerun.pk).update(attempts=rerun.attempts + 1)
    Job.objects.filter(pk=rescued.pk).update(status="READY")
    values = {n: n * 10 for n in range(8)} | {3: None, 4: {"nested": [1, "two", None]}}
    results = {}

    def finish(n):
        results[jobs[n].pk] = store.succeed(jobs[n], values[n])
        close_old_connections()

    run_threads(8, finish)
    assert [results.pop(job.pk) for job in (stolen, rerun, rescued)] == [False, False, False]
    assert all(results.values()) and len(results) == 5
    rows = {job.pk: job for job in Job.objects.all()}
    assert [rows[job.pk].status for job in (stolen, rerun, rescued)] == [
        "RUNNING",
        "RUNNING",
        "READY",
    ]
    assert all(rows[job.pk].return_value is None for job in (stolen, rerun, rescued))
    for n, job in enumerate(jobs[3:], start=3):
        row = rows[job.pk]
        assert (row.status, row.return_value, row.worker_id) == ("SUCCESSFUL", values[n], None)
        assert row.active_unique_key is None and row.finished_at is not None
        assert (job.status, job.return_value) == ("SUCCESSFUL", values[n])


@pytest.mark.django_db(transaction=True)
def test_a_batch_larger_than_one_statement_is_written_whole():
    store = JobStore()
    job_ids = [tasks.add.enqueue(n, n).id for n in range(1203)]
    jobs = store.claim(backend_name="default", worker_id="w1", limit=1203, lease_seconds=30)
    assert len(jobs) == 1203
    outcomes = [(job, job.args[0]) for job in jobs]
    assert store._succeed_many(outcomes) == {job.pk for job in jobs}
    finished = dict(Job.objects.filter(status="SUCCESSFUL").values_list("pk", "return_value"))
    assert len(finished) == 1203
    assert {str(pk) for pk in finished} == set(job_ids)
    assert all(finished[job.pk] == job.args[0] for job in jobs)
