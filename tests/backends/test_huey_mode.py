"""Huey-mode specifics: configuration checks, a django-redis connection, priorities on Redis."""

import pytest
import redis
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_jobs import api
from django_jobs.backends.huey import process_publisher
from django_jobs.backends.redis import UntrustedMessage
from django_jobs.compat import task_backends
from django_jobs.models import Job
from django_jobs.store import JobStore
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.backends.receivers import enqueue_raising_in_a_receiver
from tests.backends.redis_commands import count_redis_commands
from tests.settings import TEST_QUEUES

pytestmark = pytest.mark.django_db

HUEY = "django_jobs.backends.HueyBackend"


def huey_backend(**options):
    return {"default": {"BACKEND": HUEY, "QUEUES": TEST_QUEUES, "OPTIONS": options}}


@pytest.mark.parametrize(
    ("options", "caches", "message"),
    [
        ({}, None, "needs exactly one of REDIS_URL or CONNECTION"),
        ({"REDIS_URL": "redis://x", "CONNECTION": "jobs"}, None, "exactly one"),
        ({"REDIS_URL": "http://x"}, None, "must be a redis:// URL"),
        ({"CONNECTION": "nope"}, None, "names cache 'nope', which is not in CACHES"),
        (
            {"CONNECTION": "local"},
            {"local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            "is not a django-redis cache",
        ),
        ({"REDIS_URL": "redis://x", "EXTRA": 1}, None, "unknown option 'EXTRA'"),
        ({"REDIS_URL": "redis://x", "PUBLISH": "later"}, None, "['PUBLISH'] must be one of"),
        ({"REDIS_URL": "redis://x", "PUBLISH": None}, None, "got: None"),
    ],
)
def test_misconfiguration_fails_check(settings, options, caches, message):
    extra = {"CACHES": {**settings.CACHES, **caches}} if caches else {}
    with override_settings(TASKS=huey_backend(**options), **extra):
        with pytest.raises(SystemCheckError) as error:
            call_command("check")
    assert message in str(error.value)


def test_connection_reuses_a_django_redis_cache_pool(settings, redis_server):
    caches = {
        **settings.CACHES,
        "jobs": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_server.url},
    }
    backend = {
        "BACKEND": HUEY,
        "QUEUES": settings.TASKS["default"]["QUEUES"],
        "OPTIONS": {"CONNECTION": "jobs", "PREFIX": "shared-redis-project"},
    }
    with override_settings(CACHES=caches, TASKS={**settings.TASKS, "default": backend}):
        call_command("check")
        from django_redis import get_redis_connection

        pool = get_redis_connection("jobs").connection_pool
        huey = task_backends["default"].huey("default")
        assert huey.storage.pool is pool
        assert "shared-redis-project" in huey.storage.queue_key
        result = tasks.add.enqueue(20, 22)
        assert run_until_empty() == 1
        result.refresh()
        assert result.return_value == 42


@pytest.mark.django_db(transaction=True)
def test_priorities_hold_on_redis(huey_settings):
    low = tasks.add.using(priority=-10).enqueue(0, 0)
    high = tasks.add.using(priority=10).enqueue(0, 1)
    assert process_publisher.flush(timeout=10)
    huey = task_backends["default"].huey("default")
    order = [huey.dequeue().args[0] for _ in range(2)]
    assert order == [high.id, low.id]
    assert Job.objects.filter(dispatched_at__isnull=False).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_rotated_secret_key_signs_the_next_jobs(huey_settings, settings):
    """The message template kept for jobs due at once is not kept across a key change:
    with the old key gone from SECRET_KEY_FALLBACKS, a job signed with it would never run."""
    tasks.add.enqueue(1, 2)
    assert process_publisher.flush(timeout=10)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-rotated-secret-key", []
    second = tasks.add.enqueue(3, 4)
    assert process_publisher.flush(timeout=10)
    huey = task_backends["default"].huey("default")
    with pytest.raises(UntrustedMessage):  # the first job's, signed with the previous key
        huey.dequeue()
    assert huey.dequeue().args[0] == second.id


@pytest.mark.django_db(transaction=True)
def test_running_a_job_spends_no_round_trips_on_huey_revocation(huey_settings):
    """huey reads and deletes revoke keys around every task; our jobs are never revoked there."""
    result = tasks.add.enqueue(2, 3)
    assert process_publisher.flush(timeout=10)
    huey = task_backends["default"].huey("default")
    client = redis.Redis.from_url(huey_settings.url)
    client.config_resetstat()
    huey.execute(huey.dequeue())  # what a consumer thread does with a message
    commands = set(client.info("commandstats"))
    assert Job.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert {"cmdstat_bzpopmin", "cmdstat_zpopmin"} & commands  # the message was taken
    assert not commands & {"cmdstat_hmget", "cmdstat_hget", "cmdstat_hdel"}


@pytest.mark.django_db(transaction=True)
def test_a_published_job_is_written_once_by_its_insert(huey_settings, settings):
    """The INSERT reserves the publish: a job sent after commit costs no UPDATE."""
    default = settings.TASKS["default"]
    inline = {**default, "OPTIONS": {**default["OPTIONS"], "PUBLISH": "inline"}}
    with override_settings(TASKS={**settings.TASKS, "default": inline}):
        with CaptureQueriesContext(connection) as queries:
            result = tasks.add.enqueue(2, 3)
            batch = api.enqueue_many(tasks.add, [((n, n), {}) for n in range(3)])
        assert task_backends["default"].huey("default").storage.queue_size() == 4
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert "UPDATE" not in statements, statements
    ids = [result.id, *(r.id for r in batch)]
    assert Job.objects.filter(pk__in=ids, dispatched_at__isnull=False).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_raising_enqueued_receiver_does_not_hold_back_the_send(huey_settings):
    """The receiver's error reaches the caller once the committed job is with the
    publisher: left reserved and unsent, it would wait for the sweep, two leases on."""
    with enqueue_raising_in_a_receiver():
        tasks.add.enqueue(2, 3)
    assert process_publisher.flush(timeout=10)
    assert task_backends["default"].huey("default").storage.queue_size() == 1


@pytest.mark.django_db(transaction=True)
def test_a_requeued_job_is_reserved_then_published_once(huey_settings):
    result = tasks.add.enqueue(2, 3)
    assert run_until_empty() == 1
    requeued = api.requeue(result.id)
    assert requeued.dispatched_at is not None
    assert process_publisher.flush(timeout=10)
    task_backends["default"].sweep(JobStore(), older_than=0)  # finds nothing left to send
    assert task_backends["default"].huey("default").storage.queue_size() == 1
    assert run_until_empty() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sweep_asks_redis_once_per_queue_whatever_its_backlog(huey_settings):
    """Lost messages are looked for in queues whose Redis queue is empty: one question
    per queue holding due jobs, not one per job, on every worker's every heartbeat."""
    for n in range(20):
        tasks.add.enqueue(n, n)  # each with its own enqueue time
    tasks.add.using(queue_name="emails").enqueue(0, 0)
    assert process_publisher.flush(timeout=10)
    backend = task_backends["default"]
    with (
        count_redis_commands(backend.huey("default")) as to_default,
        count_redis_commands(backend.huey("emails")) as to_emails,
    ):
        assert backend.sweep(JobStore(), older_than=0) == 0
    assert (len(to_default), len(to_emails)) == (1, 1), (to_default, to_emails)
