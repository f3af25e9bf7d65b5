"""The servers go away under draining workers: PostgreSQL restarts, Redis stops and comes
back empty. Workers outlive both, and every job still runs, and runs once."""

import signal
import time

import pytest
from django.db import connection

from django_jobs.models import Worker
from tests.worker.helpers import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def drain_with_two_workers(drill, count: int) -> None:
    drill.enqueue(count, seconds=0.002)
    for _ in range(2):
        drill.start()
    wait_until(lambda: drill.count(status="SUCCESSFUL") >= count // 5, timeout=60)


def assert_all_ran_once(drill) -> None:
    drill.wait_until_finished(timeout=120)
    assert drill.stop_all() == [0] * len(drill.workers), [w.output for w in drill.workers]
    report = drill.audit()
    assert report.problems() == []
    assert report.successful == report.enqueued == report.runs


@pytest.mark.postgres_only
@pytest.mark.parametrize("drill", ["database", "huey"], indirect=True)
def test_postgres_restarts_under_draining_workers(drill, postgres_server):
    drain_with_two_workers(drill, 2000)
    for _ in range(2):
        connection.close()
        postgres_server.restart()
        time.sleep(0.5)
    assert_all_ran_once(drill)


@pytest.mark.postgres_only
@pytest.mark.parametrize("drill", ["database", "huey"], indirect=True)
def test_a_worker_stopped_right_after_a_postgres_restart_exits_cleanly(drill, postgres_server):
    """The main thread's connection died in the restart while it sat idle: the stop must
    not trip over it (it used to crash with exit code 1 and leave the worker row open)."""
    worker = drill.start()
    wait_until(lambda: Worker.objects.filter(pid=worker.process.pid).exists())
    connection.close()
    postgres_server.restart()
    assert drill.stop_all() == [0], worker.output
    assert Worker.objects.get(pid=worker.process.pid).stopped_at is not None


@pytest.mark.postgres_only
@pytest.mark.parametrize("drill", ["database", "huey"], indirect=True)
def test_a_worker_started_while_postgres_is_down_waits_for_it(drill, postgres_server):
    """Workers start beside the database (a deploy, a host reboot): one that meets no
    database registers once it is back, instead of dying in its start-up."""
    drill.enqueue(100)
    worker = start_without_postgres(drill, postgres_server)
    postgres_server.start()
    assert_all_ran_once(drill)
    assert Worker.objects.get(pid=worker.process.pid).stopped_at is not None


@pytest.mark.postgres_only
@pytest.mark.parametrize("drill", ["database"], indirect=True)
def test_a_worker_waiting_for_postgres_to_come_up_stops_when_asked(drill, postgres_server):
    worker = start_without_postgres(drill, postgres_server)
    worker.signal(signal.SIGTERM)
    try:
        assert worker.wait(timeout=20) == 0, worker.output  # not a lease of waiting later
    finally:
        postgres_server.start()
    assert "stopped while waiting for its database" in worker.output
    assert not Worker.objects.filter(pid=worker.process.pid).exists()


def start_without_postgres(drill, postgres_server):
    """A worker started while PostgreSQL is stopped, once it is waiting for it (with
    a lease long enough to outwait a slow start of the server)."""
    connection.close()
    postgres_server.stop()
    drill.env["JOBS_TEST_LEASE_SECONDS"] = "60"
    worker = drill.start()
    waiting = lambda: "Database unavailable" in worker.output  # noqa: E731
    try:
        wait_until(lambda: waiting() or worker.process.poll() is not None, timeout=60)
        assert worker.process.poll() is None, worker.output
    except BaseException:
        postgres_server.start()
        raise
    return worker


@pytest.mark.parametrize("drill", ["huey"], indirect=True)
def test_redis_stops_mid_consumption_and_comes_back_empty(drill, huey_settings):
    drain_with_two_workers(drill, 1000)
    huey_settings.stop()
    drill.enqueue(200)  # published later, by the workers' sweep
    time.sleep(1)
    huey_settings.start()  # without persistence: every queued message is gone
    assert_all_ran_once(drill)
