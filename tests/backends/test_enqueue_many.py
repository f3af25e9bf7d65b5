"""``api.enqueue_many``: one call, many jobs, every mode; all or nothing on bad input."""

import datetime
import gc
import threading
import uuid
from types import MappingProxyType

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_jobs import api
from django_jobs.backends.huey import process_publisher
from django_jobs.compat import (
    TASKS_PACKAGE,
    InvalidTask,
    TaskResultStatus,
    django_task,
    task_started,
)
from django_jobs.exceptions import InvalidPayload
from django_jobs.ids import new_job_ids
from django_jobs.models import Job
from django_jobs.store import JobStore, inserts
from django_jobs.testing import capture_jobs, run_until_empty
from tests import tasks
from tests.backends.plans import BACKLOG, assert_found_by_primary_key
from tests.backends.redis_commands import count_redis_commands

pytestmark = pytest.mark.django_db


def test_many_jobs_run_with_their_own_arguments_in_every_mode(mode):
    results = api.enqueue_many(tasks.add, [((n, n), {}) for n in range(50)])
    assert len(results) == 50 == Job.objects.count()
    run_until_empty()
    for n, result in enumerate(results):
        result.refresh()
        assert (result.status, result.return_value) == (TaskResultStatus.SUCCESSFUL, 2 * n)


def test_no_calls_store_nothing_in_every_mode(mode):
    assert api.enqueue_many(tasks.add, []) == []
    assert not Job.objects.exists()


def test_options_of_using_apply_to_every_job():
    api.enqueue_many(tasks.echo.using(queue_name="emails", priority=7), [((), {"n": 1})] * 3)
    rows = list(Job.objects.values_list("queue_name", "priority", "kwargs"))
    assert rows == [("emails", 7, {"n": 1})] * 3


def test_each_job_is_announced_like_a_single_enqueue():
    with capture_jobs() as captured:
        api.enqueue_many(tasks.add, [((1, 2), {}), ((3, 4), {})])
    assert [job.args for job in captured] == [[1, 2], [3, 4]]


def test_calls_may_be_any_sequence_and_mapping():
    calls = [([1, 2], {}), (range(3, 5), MappingProxyType({})), ((), {"a": 5, "b": 6})]
    results = api.enqueue_many(tasks.add, calls)
    assert [(result.args, result.kwargs) for result in results] == [
        ([1, 2], {}),
        ([3, 4], {}),
        ([], {"a": 5, "b": 6}),
    ]


@pytest.mark.parametrize(
    ("calls", "error"),
    [
        ([((1, 2), {}), ((1,), {})], InvalidPayload),  # the second does not bind
        ([((1, 2), {}), ((1, object()), {})], InvalidPayload),  # not JSON
        ([((1, 2), {}), [1, 2]], TypeError),  # not an (args, kwargs) pair
        ([("12", {})], TypeError),  # a string is not an argument list
        ([((1, 2), {}), ((1, 2), {"c": 3})], InvalidPayload),  # unknown keyword
    ],
)
def test_one_bad_call_stores_nothing(calls, error):
    with pytest.raises(error):
        api.enqueue_many(tasks.add, calls)
    assert not Job.objects.exists()


@pytest.mark.parametrize("mode", ["database", "huey"], indirect=True)
def test_a_batch_is_built_without_pausing_for_the_garbage_collector(mode):
    """A batch's results live until it returns: collecting meanwhile only walks them.

    The one collection allowed is a young one (not of the whole process), due once the
    collector is back.
    """
    api.enqueue_many(tasks.add, [((0, 0), {})])  # what a first batch imports, imported
    calls = [((n, n), {}) for n in range(1000)]
    collections = []
    this_thread = threading.get_ident()  # not the publisher thread's, once it sends the batch

    def count(phase: str, info: dict) -> None:
        ours = phase == "start" and threading.get_ident() == this_thread
        collections.extend([info["generation"]] * ours)

    gc.collect()  # no collection due before the batch, whatever the test did before it
    gc.callbacks.append(count)
    try:
        results = api.enqueue_many(tasks.add, calls)
    finally:
        gc.callbacks.remove(count)
    assert len(results) == 1000
    assert len(collections) <= 1 and 2 not in collections
    assert gc.isenabled()


@pytest.mark.parametrize("mode", ["immediate"], indirect=True)
def test_jobs_run_inside_a_batch_run_with_the_collector_on(mode):
    """Their own garbage, cycles included, is theirs: only the batch's building pauses it."""
    seen = []

    def started(sender, task_result, **kwargs):
        seen.append(gc.isenabled())

    task_started.connect(started)
    try:
        api.enqueue_many(tasks.add, [((n, n), {}) for n in range(3)])
    finally:
        task_started.disconnect(started)
    assert seen == [True, True, True]


def test_a_refused_batch_leaves_the_collector_on():
    with pytest.raises(TypeError):
        api.enqueue_many(tasks.add, [((1, 2), {}), [1, 2]])
    assert gc.isenabled()


def test_unique_tasks_are_refused():
    with pytest.raises(InvalidTask, match="one by one"):
        api.enqueue_many(tasks.add.using(unique_key="k"), [((1, 2), {})])
    assert not Job.objects.exists()


def test_a_rollback_takes_the_whole_batch_with_it():
    with pytest.raises(RuntimeError), transaction.atomic():
        api.enqueue_many(tasks.add, [((n, n), {}) for n in range(10)])
        raise RuntimeError("the view failed")
    assert not Job.objects.exists()


@django_task
def not_ours() -> None:
    pass


def test_a_task_of_another_backend_is_refused(settings):
    settings.TASKS = {
        **settings.TASKS,
        "other": {"BACKEND": f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"},
    }
    with pytest.raises(TypeError, match="needs a django_jobs backend"):
        api.enqueue_many(not_ours.using(backend="other"), [((), {})])


@pytest.mark.django_db(transaction=True)
def test_huey_mode_publishes_the_batch_on_commit(huey_settings):
    from django_jobs.compat import task_backends

    api.enqueue_many(tasks.add, [((n, n), {}) for n in range(20)])
    assert process_publisher.flush(timeout=10)
    assert task_backends["default"].huey("default").storage.queue_size() == 20
    assert not Job.objects.filter(dispatched_at__isnull=True).exists()


def test_marking_a_batch_published_finds_its_rows_by_primary_key():
    """Not by walking every READY row (a whole backlog) through an index on status."""
    calls = [((n, n), {}) for n in range(BACKLOG)]
    ids = [r.id for r in api.enqueue_many(tasks.add, calls)][:3]
    Job.objects.update(dispatched_at=None)  # the whole backlog waits for the sweep
    with CaptureQueriesContext(connection) as queries:
        JobStore().mark_dispatched_many(ids)
    (update,) = [query["sql"] for query in queries.captured_queries]
    assert_found_by_primary_key(update)
    assert Job.objects.filter(dispatched_at__isnull=False).count() == 3


def test_giving_a_batch_back_to_the_sweep_finds_its_rows_by_primary_key():
    """A failed send's jobs may sit in a backlog the statistics have not seen yet."""
    calls = [((n, n), {}) for n in range(BACKLOG)]
    ids = [r.id for r in api.enqueue_many(tasks.add, calls)][:3]
    with CaptureQueriesContext(connection) as queries:
        JobStore().undo_dispatch_many(ids)
    (update,) = [query["sql"] for query in queries.captured_queries]
    assert_found_by_primary_key(update)
    assert set(Job.objects.filter(dispatched_at__isnull=True).values_list("pk", flat=True)) == {
        uuid.UUID(job_id) for job_id in ids
    }


@pytest.fixture(params=["signed during the INSERT", "signed at the send"])
def signing(request, monkeypatch):
    """Huey mode signs a big batch's messages on a thread of their own while its INSERT
    runs, and a small one's as it sends them: every batch test holds for both."""
    from django_jobs.backends import huey as huey_backend

    ahead = request.param == "signed during the INSERT"
    monkeypatch.setattr(huey_backend, "SIGN_AHEAD_FROM", 1 if ahead else 10**9)


@pytest.mark.django_db(transaction=True)
def test_huey_mode_publishes_a_batch_in_one_round_trip_and_in_order(
    huey_settings, monkeypatch, signing
):
    from django_jobs.backends import huey as huey_backend
    from django_jobs.compat import task_backends

    monkeypatch.setattr(huey_backend, "ZADD_MEMBERS", 128)  # 300 jobs: three ZADDs

    huey = task_backends["default"].huey("default")
    with count_redis_commands(huey) as commands:
        batch = api.enqueue_many(tasks.add, [((n, n), {}) for n in range(300)])
        assert process_publisher.flush(timeout=10)
    assert commands == ["pipeline"]
    after = tasks.add.enqueue(1, 1)
    assert process_publisher.flush(timeout=10)
    published = [huey.dequeue().args[0] for _ in range(301)]
    assert published == [r.id for r in batch] + [after.id]


@pytest.mark.django_db(transaction=True)
def test_huey_mode_schedules_a_delayed_batch_with_its_priority(huey_settings, signing):
    """A batch's messages share one template: each must still name its own job (also
    as the message's id), and carry the batch's due time and priority."""
    from django_jobs.compat import task_backends

    later = (timezone.now() + datetime.timedelta(hours=1)).replace(microsecond=0)
    task = tasks.add.using(priority=5, run_after=later)
    batch = api.enqueue_many(task, [((n, n), {}) for n in range(3)])
    now_batch = api.enqueue_many(tasks.add.using(priority=-2), [((n, n), {}) for n in range(2)])
    assert process_publisher.flush(timeout=10)
    huey = task_backends["default"].huey("default")
    published = [huey.dequeue() for _ in range(5)]  # by priority, then in order
    eta = later.astimezone(datetime.UTC).replace(tzinfo=None)
    assert [(t.args[0], t.id, t.priority, t.eta) for t in published] == [
        *((r.id, r.id, 5, eta) for r in batch),
        *((r.id, r.id, -2, None) for r in now_batch),
    ]


@pytest.mark.django_db(transaction=True)
def test_huey_mode_with_redis_down_stores_the_batch_for_the_sweep(huey_settings, signing):
    huey_settings.stop()
    try:
        results = api.enqueue_many(tasks.add, [((n, n), {}) for n in range(20)])
        assert process_publisher.flush(timeout=60)  # the failed send gave them to the sweep
        assert Job.objects.filter(dispatched_at__isnull=True).count() == 20
    finally:
        huey_settings.start()
    assert run_until_empty() == 20
    assert results[19].refresh() is None and results[19].return_value == 38


@pytest.mark.django_db(transaction=True)
def test_a_big_batch_is_signed_on_its_own_thread_while_its_insert_runs(
    huey_settings, monkeypatch, backend
):
    """The INSERT waits until the signing thread has started signing: without signing
    ahead it would wait in vain, as the messages are then signed after the commit."""
    from django_jobs.backends import huey as huey_backend

    monkeypatch.setattr(huey_backend, "SIGN_AHEAD_FROM", 600)
    signed, signers = threading.Event(), set()
    real_template, real_create = huey_backend.HueyBackend._message_template, JobStore.create_alike

    def recording_template(backend, *args):  # the first step of signing
        signers.add(threading.current_thread().name)
        signed.set()
        return real_template(backend, *args)

    def waiting_create(store, *args):
        inserting_after_signing.append(signed.wait(timeout=10))
        return real_create(store, *args)

    inserting_after_signing: list[bool] = []
    monkeypatch.setattr(huey_backend.HueyBackend, "_message_template", recording_template)
    monkeypatch.setattr(JobStore, "create_alike", waiting_create)
    batch = api.enqueue_many(tasks.add, [((n, n), {}) for n in range(600)])
    assert process_publisher.flush(timeout=10)
    assert inserting_after_signing == [True]
    assert signers == {"django-jobs-signer"}
    small = api.enqueue_many(tasks.add, [((n, n), {}) for n in range(599)])  # signed at the send
    assert process_publisher.flush(timeout=10)
    assert signers == {"django-jobs-signer", "django-jobs-publisher"}
    huey = backend.huey("default")
    published = [huey.dequeue().args[0] for _ in range(1199)]
    assert published == [r.id for r in batch] + [r.id for r in small]


@pytest.mark.django_db(transaction=True)
def test_a_big_batch_rolled_back_is_signed_but_never_sent(huey_settings, monkeypatch, backend):
    from django_jobs.backends import huey as huey_backend

    monkeypatch.setattr(huey_backend, "SIGN_AHEAD_FROM", 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        api.enqueue_many(tasks.add, [((n, n), {}) for n in range(50)])
        raise RuntimeError("the view failed")
    assert process_publisher.flush(timeout=10)
    assert backend.huey("default").storage.queue_size() == 0
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_signing_failed_is_given_to_the_sweep(
    huey_settings, monkeypatch, caplog, backend
):
    """Signed ahead, the error surfaces in the send, which gives the jobs back as it does
    when Redis is down; the sweep then signs and sends them itself."""
    from django_jobs.backends import huey as huey_backend

    monkeypatch.setattr(huey_backend, "SIGN_AHEAD_FROM", 1)
    real_messages = huey_backend.HueyBackend._messages

    def failing_ahead(backend, *args):
        if threading.current_thread().name == "django-jobs-signer":
            raise ValueError("no key to sign with")
        return real_messages(backend, *args)

    monkeypatch.setattr(huey_backend.HueyBackend, "_messages", failing_ahead)
    results = api.enqueue_many(tasks.add, [((n, n), {}) for n in range(20)])
    assert process_publisher.flush(timeout=10)
    assert Job.objects.filter(dispatched_at__isnull=True).count() == 20
    assert "20 job(s) not published (no key to sign with)" in caplog.text
    backend.sweep(JobStore(), older_than=0)  # signs and sends them itself
    assert run_until_empty() == 20
    assert results[19].refresh() is None and results[19].return_value == 38


def test_a_batch_stores_the_same_rows_as_single_enqueues():
    """Columns adapted once for the batch must read back as a one-by-one enqueue's do."""
    task = tasks.echo.using(queue_name="emails", priority=3)
    single = Job.objects.get(pk=task.enqueue(1, n={"deep": [1]}).id)
    batch = [
        Job.objects.get(pk=r.id) for r in api.enqueue_many(task, [((1,), {"n": {"deep": [1]}})] * 2)
    ]
    skip = {"id", "enqueued_at", "run_after", "dispatched_at"}
    fields = [f.attname for f in Job._meta.concrete_fields if f.attname not in skip]
    for job in batch:
        assert [getattr(job, f) for f in fields] == [getattr(single, f) for f in fields]
        assert job.id.version == 7 and job.run_after == job.enqueued_at == job.dispatched_at
    assert len({single.id, *(job.id for job in batch)}) == 3


def test_jobs_of_a_batch_share_no_mutable_value():
    template = Job(task_path="tests.tasks.add", queue_name="default", backend_name="default")
    arguments = [([1, 2], {}, "[1,2]", "{}"), ([3, 4], {}, "[3,4]", "{}")]
    store, ids = JobStore(), new_job_ids(len(arguments))
    store.create_alike(template, arguments, ids)
    first, second = store.alike_jobs(template, ids, arguments)
    for name in ("errors", "worker_ids", "args", "kwargs"):
        assert getattr(first, name) is not getattr(second, name)
    first.errors.append({"x": 1})
    assert second.errors == [] and template.errors == []
    assert [job.args for job in Job.objects.order_by("args")] == [[1, 2], [3, 4]]


def test_a_batchs_results_read_as_the_stored_jobs_do(mode):
    """Results after the first are copies of it: each must still be its own job's result."""
    task = tasks.echo.using(queue_name="emails", priority=3)
    results = api.enqueue_many(task, [((n,), {"n": [n]}) for n in range(3)])
    for result in results:
        stored = task.get_result(result.id)
        for name in ("id", "status", "args", "kwargs", "enqueued_at", "backend", "errors"):
            assert getattr(result, name) == getattr(stored, name), name
        assert result.task.queue_name == "emails" and result.task.priority == 3
    assert [result.args for result in results] == [[0], [1], [2]]
    assert results[1].errors is not results[2].errors
    assert results[1].worker_ids is not results[2].worker_ids


@pytest.mark.parametrize("vendors", [inserts.INSERT_SELECT_VENDORS, ()], ids=["select", "rows"])
def test_a_batch_bigger_than_one_statement_is_stored_whole(monkeypatch, vendors):
    """Also through the ``executemany`` other vendors use (forced with ``vendors=()``)."""
    monkeypatch.setattr(inserts, "ROWS_PER_INSERT", 7)  # 5 statements
    monkeypatch.setattr(inserts, "INSERT_SELECT_VENDORS", vendors)
    results = api.enqueue_many(tasks.echo, [((n, -n), {"x": n}) for n in range(30)])
    stored = {str(job.pk): job for job in Job.objects.all()}
    assert [(stored[r.id].args, stored[r.id].kwargs) for r in results] == [
        ([n, -n], {"x": n}) for n in range(30)
    ]


AWKWARD_VALUES = [0.1, 1e-300, 2**70, -0.0, "é\u2028\\\"'", "", {"": [None, True]}, []]


def test_a_batch_stores_every_value_as_one_by_one_enqueue_does():
    """The varying columns travel as arrays (PostgreSQL) or JSON text (SQLite), not as
    parameters of their own: the rows read back as those ``enqueue()`` writes."""
    batch = api.enqueue_many(tasks.echo, [((value,), {"v": value}) for value in AWKWARD_VALUES])
    single = [tasks.echo.enqueue(value, v=value) for value in AWKWARD_VALUES]
    stored = {str(job.pk): job for job in Job.objects.all()}
    for ours, theirs in zip(batch, single, strict=True):
        mine, other = stored[ours.id], stored[theirs.id]
        assert (mine.args, mine.kwargs) == (other.args, other.kwargs)
        assert repr(mine.args) == repr(other.args)  # -0.0 stays -0.0, 0.1 stays 0.1


def test_a_batchs_jobs_read_as_its_stored_rows_and_save_as_updates():
    """The ``Job`` objects of a batch are copies of its template, not loaded rows."""
    backend = tasks.add.get_backend()
    template = backend._new_job(tasks.add, [], {})
    arguments = [backend._prepare(tasks.add, (n, n), {}) for n in range(2)]
    store, ids = JobStore(), new_job_ids(len(arguments))
    store.create_alike(template, arguments, ids)
    jobs = store.alike_jobs(template, ids, arguments)
    columns = [field.attname for field in Job._meta.concrete_fields]
    for job in jobs:
        loaded = Job.objects.get(pk=job.pk)
        assert [getattr(job, name) for name in columns] == [getattr(loaded, c) for c in columns]
        assert (job._state.adding, job._state.db) == (False, "default")
    jobs[0].priority = 9
    jobs[0].save(update_fields=["priority"])  # an UPDATE of the stored row
    assert Job.objects.get(pk=jobs[0].pk).priority == 9 and Job.objects.count() == 2
