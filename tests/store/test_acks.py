"""Group commit of successful outcomes: threads hand their success over and go on, one
thread writes the batch and tells each whether its write won the fence; a failed batch
is logged and leaves its jobs to their leases."""

import threading

import pytest
from django.db import close_old_connections, connection

from django_jobs.compat import TaskResultStatus, task_finished
from django_jobs.execution import Outcome, run_job
from django_jobs.models import Job
from django_jobs.store import JobStore
from django_jobs.store.acks import BUSY_WITHIN, LINGER, AckGroup, _Ack
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


def test_threads_hand_over_and_go_on_while_one_writes_their_batch():
    batches = []
    writing = threading.Event()
    finish_first_write = threading.Event()

    def write_many(outcomes):
        if not batches:
            writing.set()
            finish_first_write.wait(5)  # a slow commit: others arrive meanwhile
        batches.append([job.pk for job, _ in outcomes])
        return {job.pk for job, _ in outcomes if job.pk % 5}  # multiples of 5 lost the fence

    group = AckGroup(write_many)
    fates, writers = {}, {}

    def then_for(n):
        def then(written):
            fates[n] = written
            writers[n] = threading.current_thread().name

        return then

    first = threading.Thread(target=group.succeed, args=(FakeJob(0), 0, then_for(0)), name="w")
    first.start()
    assert writing.wait(5)
    run_threads(19, lambda n: group.succeed(FakeJob(n + 1), n + 1, then_for(n + 1)))
    assert fates == {}  # all 19 returned before anything was written
    finish_first_write.set()
    first.join(5)
    assert batches == [[0], list(range(1, 20))]
    assert fates == {n: bool(n % 5) for n in range(20)}
    assert set(writers.values()) == {"w"}  # the writing thread told everyone


def test_a_lone_ack_is_written_before_succeed_returns():
    group = AckGroup(lambda outcomes: {job.pk for job, _ in outcomes})
    fates = []
    group.succeed(FakeJob(1), None, fates.append)
    assert fates == [True]


class FakeTime:
    """A clock that only moves when the writer sleeps, or when the test moves it."""

    def __init__(self):
        self.now = 100.0
        self.slept = []
        self.during_sleep = lambda: None

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        self.during_sleep()


def test_under_load_the_writer_waits_for_the_successes_of_the_next_moment():
    batches = []
    time = FakeTime()
    group = AckGroup(
        lambda outcomes: batches.append([job.pk for job, _ in outcomes]) or {1, 2, 3},
        clock=time.clock,
        sleep=time.sleep,
    )
    fates = {}
    group.succeed(FakeJob(1), 1, lambda written: fates.__setitem__(1, written))
    assert batches == [[1]] and time.slept == []  # the first is written at once
    time.now += BUSY_WITHIN / 2  # the next success comes soon after: the group is busy
    time.during_sleep = lambda: group.succeed(  # another thread's success, meanwhile
        FakeJob(3), 3, lambda written: fates.__setitem__(3, written)
    )
    group.succeed(FakeJob(2), 2, lambda written: fates.__setitem__(2, written))
    assert time.slept == [LINGER]
    assert batches == [[1], [2, 3]]  # what finished while it waited joined the batch
    assert fates == {1: True, 2: True, 3: True}


def test_a_quiet_group_writes_each_success_at_once():
    batches = []
    time = FakeTime()
    group = AckGroup(
        lambda outcomes: batches.append([job.pk for job, _ in outcomes]) or {1, 2},
        clock=time.clock,
        sleep=time.sleep,
    )
    group.succeed(FakeJob(1), 1, lambda written: None)
    time.now += 2 * BUSY_WITHIN
    group.succeed(FakeJob(2), 2, lambda written: None)
    assert batches == [[1], [2]] and time.slept == []


def test_a_failing_batch_is_logged_and_the_next_batch_is_still_written(caplog):
    calls = []
    first_write = threading.Event()
    go_on = threading.Event()

    def write_many(outcomes):
        calls.append([job.pk for job, _ in outcomes])
        if len(calls) == 1:
            first_write.set()
            go_on.wait(5)
            raise ConnectionError("database went away")
        return {job.pk for job, _ in outcomes}

    group = AckGroup(write_many)
    fates = {}
    first = threading.Thread(target=group.succeed, args=(FakeJob(0), 0, fates.__setitem__))
    first.start()
    assert first_write.wait(5)
    group.succeed(FakeJob(1), 1, lambda written: fates.__setitem__(1, written))
    go_on.set()
    first.join(5)
    assert calls == [[0], [1]]
    assert fates == {1: True}  # job 0 is left RUNNING: its lease ends and it runs again
    assert "Could not record 1 successful job(s)" in caplog.text


def test_a_follow_up_that_raises_does_not_skip_the_others(caplog):
    group = AckGroup(lambda outcomes: {job.pk for job, _ in outcomes})
    told = []

    def then(written):
        told.append(written)
        if len(told) == 1:
            raise RuntimeError("a signal receiver failed")

    group._pending.append(_Ack(FakeJob(1), 1, then))  # already waiting when the writer starts
    group.succeed(FakeJob(2), 2, then)
    assert told == [True, True]
    assert "Job 1: error after recording its success" in caplog.text


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
        store.succeed_then(jobs[n], values[n], lambda written: results.__setitem__(n, written))
        close_old_connections()

    run_threads(8, finish)
    results = {jobs[n].pk: written for n, written in results.items()}
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group_commit", [False, True])
def test_task_finished_is_sent_only_for_a_success_that_was_written(group_commit, caplog):
    store = JobStore(group_commit=group_commit)
    tasks.add.enqueue(1, 2)
    tasks.add.enqueue(3, 4)
    kept, lost = store.claim(backend_name="default", worker_id="w1", limit=2, lease_seconds=30)
    Job.objects.filter(pk=lost.pk).update(worker_id="w2")  # rescued and claimed elsewhere
    finished = []

    def on_finished(sender, task_result, **kwargs):
        finished.append((task_result.id, task_result.status, task_result.return_value))

    task_finished.connect(on_finished)
    try:
        outcomes = [run_job(kept, store), run_job(lost, store)]
    finally:
        task_finished.disconnect(on_finished)
    assert finished == [(str(kept.pk), TaskResultStatus.SUCCESSFUL, 3)]
    assert Job.objects.get(pk=lost.pk).status == "RUNNING"
    assert f"Job {lost.pk}: result of a run that lost its lease was discarded" in caplog.text
    # Written on this thread (no batch under way), the outcome is known before run_job returns.
    assert outcomes == [Outcome.SUCCEEDED, Outcome.DISCARDED]


@pytest.mark.django_db(transaction=True)
def test_batches_of_every_size_share_a_handful_of_statements():
    """Each statement text stays compiled per SQLite connection: sizes 1..100 use eight.
    PostgreSQL gets arrays: one text, which psycopg parses once instead of per statement."""
    store = JobStore()
    for n in range(sum(range(1, 101))):
        tasks.add.enqueue(n, n)
    statements = set()

    def remember(execute, sql, params, many, context):
        statements.add(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(remember):
        for size in range(1, 101):
            jobs = store.claim(backend_name="default", worker_id="w", limit=size, lease_seconds=30)
            assert store._succeed_many([(job, 1) for job in jobs]) == {job.pk for job in jobs}
    success_statements = {sql for sql in statements if "SUCCESSFUL" in sql}
    assert len(success_statements) == (1 if connection.vendor == "postgresql" else 8)
    assert Job.objects.filter(status="SUCCESSFUL").count() == sum(range(1, 101))
