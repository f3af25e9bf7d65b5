"""How a huey-mode worker takes messages off Redis and claims their jobs, on a real Redis."""

import logging
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.db import DatabaseError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from huey.registry import Message

from django_jobs import api
from django_jobs.backends.huey import process_publisher
from django_jobs.compat import task_backends
from django_jobs.models import Job, Worker
from django_jobs.store import JobStore
from django_jobs.worker.huey_queues import TAKE_SCRIPT, QueueReader
from django_jobs.worker.huey_runner import HueyWorker
from django_jobs.worker.options import WorkerOptions
from django_jobs.worker.pool import JobPool
from tests import tasks
from tests.backends.plans import BACKLOG, assert_found_by_primary_key

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backend(huey_settings):
    return task_backends["default"]


def sent(*results):
    """The jobs of ``results``, once the publisher thread has put their messages on Redis."""
    assert process_publisher.flush(timeout=10)
    return [str(result.id) for result in results]


def job_ids_of(reader, messages):
    _, job_ids = reader.read(messages)
    return [str(job_id) for job_id in job_ids]


def test_take_returns_the_highest_priority_then_the_oldest_and_at_most_limit(backend):
    low = tasks.record.using(priority=-5).enqueue(1)
    first, second = tasks.record.enqueue(2), tasks.record.enqueue(3)
    high = tasks.record.using(priority=5).enqueue(4)
    sent(low, first, second, high)
    reader = QueueReader(backend, ["default"], worker_id="w1")
    assert job_ids_of(reader, reader.take(3)) == sent(high, first, second)
    assert job_ids_of(reader, reader.take(3)) == sent(low)
    assert reader.take(3) == []


def test_messages_put_back_come_back_in_their_places(backend):
    results = [tasks.record.enqueue(n) for n in range(5)]
    sent(*results)
    reader = QueueReader(backend, ["default"], worker_id="w1")
    reader.put_back(reader.take(3))
    assert job_ids_of(reader, reader.take(10)) == sent(*results)


def test_paused_queues_are_not_taken_from(backend):
    on_default, on_emails = tasks.record.enqueue(1), tasks.echo.enqueue("x")
    sent(on_default, on_emails)
    reader = QueueReader(backend, ["default", "emails"], worker_id="w1")
    assert job_ids_of(reader, reader.take(10, paused=["default"])) == sent(on_emails)
    assert job_ids_of(reader, reader.take(10)) == sent(on_default)


def test_one_busy_queue_does_not_keep_another_waiting(backend):
    busy = [tasks.record.enqueue(n) for n in range(10)]
    other = tasks.echo.enqueue("x")
    sent(*busy, other)
    reader = QueueReader(backend, ["default", "emails"], worker_id="w1")
    taken = [job_ids_of(reader, reader.take(1)) for _ in range(2)]
    assert sent(other) in taken  # the queue taken from first turns each time


def test_a_take_from_many_queues_is_one_round_trip(backend, monkeypatch):
    reader = QueueReader(backend, ["default", "webhooks", "maintenance", "emails"], worker_id="w1")
    assert reader.take(5) == []  # the script is loaded on first use
    waiting = tasks.echo.enqueue("x")  # on "emails", the last queue taken from
    sent(waiting)
    commands = []
    send = redis.connection.Connection.send_packed_command
    monkeypatch.setattr(
        redis.connection.Connection,
        "send_packed_command",
        lambda self, command, *a, **kw: commands.append(command) or send(self, command, *a, **kw),
    )
    assert job_ids_of(reader, reader.take(5)) == sent(waiting)
    assert len(commands) == 1


def test_a_message_not_due_goes_to_the_schedule_and_comes_back_when_due(backend):
    later = tasks.record.using(run_after=timezone.now() + timedelta(seconds=1)).enqueue(1)
    sent(later)
    reader = QueueReader(backend, ["default"], worker_id="w1")
    storage = backend.huey("default").storage
    assert job_ids_of(reader, reader.take(10)) == []
    assert storage.schedule_size() == 1 and storage.queue_size() == 0
    reader.move_due_scheduled()
    assert storage.schedule_size() == 1  # not due yet
    time.sleep(1.1)
    reader.move_due_scheduled()
    assert storage.schedule_size() == 0
    assert job_ids_of(reader, reader.take(10)) == sent(later)


def signed_message(huey, name, args):
    """A message signed with this project's key, as huey's registry would make it."""
    fields = dict.fromkeys(Message._fields)
    return huey.serializer.serialize(Message(**{**fields, "id": "m", "name": name, "args": args}))


def test_unreadable_messages_are_dropped_with_a_warning(backend, caplog):
    huey = backend.huey("default")
    huey.storage.enqueue(b"not a message", 0)
    good = tasks.record.enqueue(1)
    sent(good)
    huey.storage.enqueue(signed_message(huey, "tests.tasks.other", [str(good.id)]), 0)
    shim = huey._registry.task_to_string(backend._shim_task("default"))
    huey.storage.enqueue(signed_message(huey, shim, []), 0)
    huey.storage.enqueue(signed_message(huey, shim, ["not a job id"]), 0)
    reader = QueueReader(backend, ["default"], worker_id="w1")
    with caplog.at_level(logging.WARNING, logger="django_jobs"):
        assert job_ids_of(reader, reader.take(10)) == sent(good)
    assert caplog.text.count("dropped a message that cannot be read") == 4


def test_waiting_keeps_the_message_that_woke_it_for_the_next_take(backend):
    reader = QueueReader(backend, ["default", "emails"], worker_id="w1")
    stop = threading.Event()
    reader.wait(0.2, stop)  # nothing there: returns after the timeout
    assert reader.held == []
    result = tasks.echo.enqueue("x")
    sent(result)
    reader.wait(5, stop)
    assert len(reader.held) == 1
    assert job_ids_of(reader, reader.take(10)) == sent(result) and reader.held == []


def huey_worker(**options):
    return HueyWorker(WorkerOptions(queues=("default",), **options))


def test_a_worker_claims_a_whole_batch_in_one_statement(backend, django_assert_num_queries):
    results = [tasks.record.enqueue(n) for n in range(6)]
    sent(*results)
    worker = huey_worker()
    worker._paused_queues()  # read once, like a running worker's cache
    with django_assert_num_queries(1):
        jobs = worker._claim(10)
    assert [str(job.pk) for job in jobs] == sent(*results)
    assert {job.status for job in jobs} == {"RUNNING"} and worker.claimed == 6


def test_messages_of_jobs_not_claimable_are_skipped_for_the_next(backend):
    done = tasks.record.enqueue(1)
    ready = tasks.record.enqueue(2)
    sent(done, ready)
    Job.objects.filter(pk=done.id).update(status="SUCCESSFUL")
    worker = huey_worker()
    assert [str(job.pk) for job in worker._claim(1)] == sent(ready)


@pytest.mark.parametrize("held", [0, 1], ids=["taken", "one the wait took"])
def test_a_claim_the_database_refuses_puts_the_messages_back(backend, monkeypatch, held):
    results = [tasks.record.enqueue(n) for n in range(3)]
    sent(*results)
    worker = huey_worker()
    for _ in range(held):
        worker.reader.wait(5, threading.Event())

    def refuse(*args, **kwargs):
        raise DatabaseError("database is away")

    monkeypatch.setattr(worker.store, "claim_by_id", refuse)
    with pytest.raises(DatabaseError):
        worker._claim(10)
    assert backend.huey("default").storage.queue_size() == 3
    monkeypatch.undo()
    assert [str(job.pk) for job in worker._claim(10)] == sent(*results)


def test_max_jobs_limits_what_is_taken(backend):
    results = [tasks.record.enqueue(n) for n in range(5)]
    sent(*results)
    worker = huey_worker(max_jobs=2)
    assert len(worker._claim(10)) == 2
    assert backend.huey("default").storage.queue_size() == 3


def test_claim_by_id_claims_ready_due_jobs_once_in_the_order_given():
    store = JobStore()
    first, second = tasks.record.enqueue(1), tasks.record.enqueue(2)
    later = tasks.record.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(3)
    order = [second.id, later.id, first.id, second.id]
    claimed = store.claim_by_id(order, worker_id="w", lease_seconds=60, due_only=True)
    assert [str(job.pk) for job in claimed] == [str(second.id), str(first.id)]
    assert store.claim_by_id(order, worker_id="w2", lease_seconds=60, due_only=True) == []
    assert Job.objects.get(pk=later.id).status == "READY"
    assert store.claim_by_id([], worker_id="w", lease_seconds=60) == []


def test_claim_by_id_finds_its_rows_by_primary_key():
    """Not by walking every READY row (a whole backlog) through an index on status."""
    ids = [r.id for r in api.enqueue_many(tasks.record, [((n,), {}) for n in range(BACKLOG)])][:3]
    with CaptureQueriesContext(connection) as queries:
        JobStore().claim_by_id(ids, worker_id="w", lease_seconds=60, due_only=True)
    (claim,) = [query["sql"] for query in queries.captured_queries]
    assert_found_by_primary_key(claim)
    assert Job.objects.filter(status="RUNNING").count() == 3


def test_claims_by_id_of_every_size_share_a_handful_of_statements():
    """Each statement text stays compiled per SQLite connection: 1..40 ids use seven.
    PostgreSQL gets an array: one text, which psycopg parses once instead of per claim."""
    ids = [r.id for r in [tasks.record.enqueue(n) for n in range(sum(range(1, 41)))]]
    statements = set()

    def remember(execute, sql, params, many, context):
        statements.add(sql)
        return execute(sql, params, many, context)

    store, start = JobStore(), 0
    with connection.execute_wrapper(remember):
        for size in range(1, 41):
            claimed = store.claim_by_id(ids[start : start + size], worker_id="w", lease_seconds=60)
            assert [str(job.pk) for job in claimed] == [str(i) for i in ids[start : start + size]]
            start += size
    assert len(statements) == (1 if connection.vendor == "postgresql" else 7)  # 1, 2, 4.. 64
    assert Job.objects.filter(status="RUNNING").count() == len(ids)


def test_jobs_handed_back_are_published_again_at_once(backend):
    result = tasks.record.enqueue(1)
    sent(result)
    worker = huey_worker()
    jobs = worker._claim(10)
    assert backend.huey("default").storage.queue_size() == 0
    assert worker._hand_back(jobs) == jobs
    job = Job.objects.get(pk=result.id)
    assert job.status == "READY" and job.dispatched_at is not None
    assert job_ids_of(worker.reader, worker.reader.take(10)) == sent(result)


def test_jobs_handed_back_as_the_database_goes_are_published_and_left_to_the_sweep(
    backend, monkeypatch, caplog
):
    """The send went; the database restarting since must not take the worker down."""
    result = tasks.record.enqueue(1)
    sent(result)
    worker = huey_worker()
    jobs = worker._claim(10)

    def database_gone(store, job_ids):
        raise OperationalError("the connection was closed by a restart")

    monkeypatch.setattr(JobStore, "mark_dispatched_many", database_gone)
    assert worker._hand_back(jobs) == jobs
    assert "1 published job(s) not marked as sent" in caplog.text
    job = Job.objects.get(pk=result.id)
    assert job.status == "READY" and job.dispatched_at is None  # the outbox's: sent again
    assert job_ids_of(worker.reader, worker.reader.take(10)) == sent(result)


def test_a_lost_takers_messages_go_back_in_their_places(backend):
    results = [tasks.record.enqueue(n) for n in range(4)]
    sent(*results)
    lost = QueueReader(backend, ["default"], worker_id="lost")
    lost.take(3)  # and then killed before claiming
    survivor = QueueReader(backend, ["default"], worker_id="w1")
    assert survivor.recover_abandoned(lambda takers: {"w1"}) == 3
    assert job_ids_of(survivor, survivor.take(10)) == sent(*results)
    assert survivor.recover_abandoned(lambda takers: set()) == 0  # nothing recorded twice


def test_a_live_takers_messages_stay_with_it(backend):
    sent(*[tasks.record.enqueue(n) for n in range(3)])
    QueueReader(backend, ["default"], worker_id="busy").take(3)
    survivor = QueueReader(backend, ["default"], worker_id="w1")
    asked = []

    def live(takers):
        asked.append(takers)
        return {"busy"}

    assert survivor.recover_abandoned(live) == 0
    assert asked == [["busy"]]
    assert backend.huey("default").storage.queue_size() == 0


def test_each_take_records_only_what_it_hands_out(backend):
    results = [tasks.record.enqueue(n) for n in range(5)]
    sent(*results)
    reader = QueueReader(backend, ["default"], worker_id="lost")
    reader.take(2)  # claimed, say: the next take forgets them
    reader.take(1)
    survivor = QueueReader(backend, ["default"], worker_id="w1")
    assert survivor.recover_abandoned(lambda takers: set()) == 1

    reader.take(1)
    reader.wait(5, threading.Event())  # one more, held for the next take
    assert len(reader.held) == 1
    assert len(reader.take(1)) == 1  # the held one, recorded alone: nothing more was popped
    assert survivor.recover_abandoned(lambda takers: set()) == 1
    assert backend.huey("default").storage.queue_size() == 2


def test_held_messages_stay_recorded_through_the_take_that_hands_them_out(backend):
    sent(*[tasks.record.enqueue(n) for n in range(4)])
    reader = QueueReader(backend, ["default"], worker_id="lost")
    reader.wait(5, threading.Event())
    reader.wait(5, threading.Event())
    assert len(reader.take(3)) == 3  # the two held, one more
    survivor = QueueReader(backend, ["default"], worker_id="w1")
    assert survivor.recover_abandoned(lambda takers: set()) == 3


def test_a_clean_stop_leaves_nothing_to_recover(backend):
    sent(*[tasks.record.enqueue(n) for n in range(3)])
    worker = huey_worker()
    worker.reader.take(1)
    worker.reader.wait(5, threading.Event())
    pool = JobPool(1, lambda job: None)
    worker._shutdown(pool, worker._maintenance(lambda: [], lambda: 0))
    survivor = QueueReader(backend, ["default"], worker_id="w1")
    assert survivor.recover_abandoned(lambda takers: set()) == 0
    assert backend.huey("default").storage.queue_size() == 2  # the held one went back
    assert redis.Redis.from_url(backend.options["REDIS_URL"]).keys("*taken*") == []


def test_a_worker_killed_between_take_and_claim_loses_nothing_behind_a_backlog(backend):
    """Its messages are back once its heartbeat is a lease old, though the queue is not empty."""
    results = [tasks.record.enqueue(n) for n in range(10)]
    sent(*results)
    killed = huey_worker()
    killed._register()

    def killed_here(*args, **kwargs):
        raise SystemExit("killed")  # not a database error: nothing is put back

    killed.store.claim_by_id = killed_here
    with pytest.raises(SystemExit):
        killed._claim(4)
    survivor = huey_worker()
    survivor._register()
    maintenance = survivor._maintenance(lambda: [], lambda: 0)
    maintenance.tick()
    assert backend.huey("default").storage.queue_size() == 6  # not yet: it may be alive

    lease_ago = timezone.now() - timedelta(seconds=survivor.settings.LEASE_SECONDS + 1)
    Worker.objects.filter(pk=killed.id).update(heartbeat_at=lease_ago)
    maintenance.tick()
    assert backend.huey("default").storage.queue_size() == 10
    assert [str(job.pk) for job in survivor._claim(10)] == sent(*results)


def test_a_forged_taken_record_cannot_write_outside_the_backends_queues(backend):
    client = redis.Redis.from_url(backend.options["REDIS_URL"])
    taken = f"{backend.prefix}.taken.intruder"
    client.hset(taken, mapping={b"m1": b"0 victim", b"m2": b"no-space", b"m3": b"0"})
    client.sadd(f"{backend.prefix}.takers", "intruder")
    survivor = QueueReader(backend, ["default"], worker_id="w1")
    assert survivor.recover_abandoned(lambda takers: set()) == 0
    assert client.exists("victim") == 0
    assert client.exists(taken) == 0  # read once, then gone


def test_what_waiting_took_is_claimed_while_its_record_travels(backend, monkeypatch):
    """The record's round trip to Redis overlaps the claim's instead of coming before it."""
    result = tasks.record.enqueue(1)
    sent(result)
    worker = huey_worker()
    worker._paused_queues()
    redis.Redis.from_url(backend.options["REDIS_URL"]).script_load(TAKE_SCRIPT)
    worker.reader.wait(5, threading.Event())
    events = []
    send_command, read_response = redis.Connection.send_command, redis.Connection.read_response
    claim_by_id = worker.store.claim_by_id

    def ours() -> bool:  # not the publisher thread's
        return threading.current_thread() is threading.main_thread()

    def spy_send(connection, *args, **kwargs):  # the take script; not a new connection's hello
        send_command(connection, *args, **kwargs)
        events.extend(["send EVALSHA"] * (args[0] == "EVALSHA" and ours()))

    def spy_read(connection, *args, **kwargs):  # the reply to the take script
        events.extend(["read"] * ("send EVALSHA" in events and ours()))
        return read_response(connection, *args, **kwargs)

    def spy_claim(*args, **kwargs):
        events.append("claim")
        return claim_by_id(*args, **kwargs)

    monkeypatch.setattr(redis.Connection, "send_command", spy_send)
    monkeypatch.setattr(redis.Connection, "read_response", spy_read)
    monkeypatch.setattr(worker.store, "claim_by_id", spy_claim)
    assert [str(job.pk) for job in worker._claim(4)] == sent(result)
    assert events == ["send EVALSHA", "claim", "read"]
    assert worker.reader.held == []


@pytest.mark.parametrize("scripts", ["loaded", "flushed"])
def test_a_worker_killed_claiming_what_waiting_took_leaves_it_recorded(backend, scripts):
    result = tasks.record.enqueue(1)
    sent(result)
    killed = huey_worker()
    killed.reader.wait(5, threading.Event())
    if scripts == "flushed":  # Redis restarted since the worker loaded its scripts
        redis.Redis.from_url(backend.options["REDIS_URL"]).script_flush()

    def killed_here(*args, **kwargs):
        raise SystemExit("killed")

    killed.store.claim_by_id = killed_here
    with pytest.raises(SystemExit):
        killed._claim(4)
    assert backend.huey("default").storage.queue_size() == 0
    survivor = QueueReader(backend, ["default"], worker_id="w1")
    assert survivor.recover_abandoned(lambda takers: set()) == 1
    assert job_ids_of(survivor, survivor.take(4)) == sent(result)


def test_a_record_redis_refuses_keeps_what_waiting_took(backend, monkeypatch):
    result = tasks.record.enqueue(1)
    sent(result)
    worker = huey_worker()
    worker.reader.wait(5, threading.Event())
    send_command = redis.Connection.send_command

    def redis_away(connection, *args, **kwargs):
        if args[0] == "EVALSHA":
            raise redis.ConnectionError("Redis is away")
        return send_command(connection, *args, **kwargs)

    monkeypatch.setattr(redis.Connection, "send_command", redis_away)
    with pytest.raises(redis.ConnectionError):
        worker._claim(4)
    assert len(worker.reader.held) == 1
    assert Job.objects.get(pk=result.id).status == "READY"
    monkeypatch.undo()
    assert [str(job.pk) for job in worker._claim(4)] == sent(result)
