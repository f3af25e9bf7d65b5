"""Huey mode with real worker processes and a real redis-server: nothing lost, nothing twice."""

import collections
import os
import pickle
import signal
import subprocess
import sys
import time
from datetime import timedelta
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from django_jobs import api
from django_jobs.backends.huey import process_publisher
from django_jobs.compat import task_backends
from django_jobs.models import Job
from tests import tasks
from tests.worker.helpers import (
    ROOT,
    WorkerProcess,
    database_url,
    drill_jobs_claimed_ahead_behind_a_slow_one,
    ledger_lines,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def ledger(tmp_path):
    return tmp_path / "ledger.txt"


@pytest.fixture
def huey_worker(huey_settings, ledger):
    """Start ``run_jobs`` processes in huey mode against this test's Redis and database."""
    started = []

    def start(*args):
        env = {"JOBS_TEST_BACKEND": "huey", "REDIS_URL": huey_settings.url}
        worker = WorkerProcess(*args, ledger=ledger, env=env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def queue_size(queue="default"):
    """Messages on the queue, once the publisher thread has sent what it holds."""
    assert process_publisher.flush(timeout=10)
    return task_backends["default"].huey(queue).storage.queue_size()


def test_ten_thousand_jobs_over_two_workers_run_once_each(huey_worker, ledger):
    with transaction.atomic():
        for n in range(10_000):
            tasks.record.enqueue(n)
    # No scheduler: started near the hour, it runs the hourly prune_jobs, which keeps the
    # newest 1,000 successful jobs (RETENTION's SUCCESSFUL_KEEP) of the 10,000 counted below.
    args = ("--burst", "--concurrency", "4", "--no-scheduler")
    workers = [huey_worker(*args) for _ in range(2)]
    assert [w.wait(timeout=300) for w in workers] == [0, 0], [w.output for w in workers]
    counts = collections.Counter(ledger_lines(ledger))
    assert len(counts) == 10_000 and set(counts.values()) == {1}
    assert Job.objects.filter(status="SUCCESSFUL", attempts=1).count() == 10_000
    assert not Job.objects.filter(finished_at__isnull=True).exists()


def test_sigkill_mid_job_completes_after_lease_expiry(huey_worker, ledger):
    result = tasks.sleep_then_record.enqueue(1, 1.0)
    doomed = huey_worker()
    wait_until(lambda: "start 1" in ledger_lines(ledger))
    doomed.kill()
    rescuer = huey_worker("--max-jobs", "1")
    assert rescuer.wait(timeout=60) == 0, rescuer.output
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.attempts == 2 == len(set(result.worker_ids))
    assert result.errors[0].exception_class_path == "django_jobs.exceptions.WorkerLost"


def test_jobs_enqueued_while_redis_is_down_all_run_once(huey_settings, huey_worker, ledger):
    huey_settings.stop()
    started = time.monotonic()
    for n in range(1000):
        tasks.record.enqueue(n)  # must neither raise nor lose the job
    assert time.monotonic() - started < 120
    assert process_publisher.flush(timeout=60)  # each failed send gave its jobs to the sweep
    assert Job.objects.filter(dispatched_at__isnull=True).count() == 1000
    huey_settings.start()
    worker = huey_worker("--burst", "--concurrency", "4")
    assert worker.wait(timeout=120) == 0, worker.output
    assert sorted(map(int, ledger_lines(ledger))) == list(range(1000))
    assert Job.objects.filter(status="SUCCESSFUL").count() == 1000


def test_lost_messages_are_republished_and_the_worker_survives_redis_restart(
    huey_settings, huey_worker, ledger
):
    for n in (1, 2):
        tasks.record.enqueue(n)
    assert queue_size() == 2
    huey_settings.restart()  # no persistence: both messages are lost
    assert queue_size() == 0
    worker = huey_worker("--concurrency", "2")
    wait_until(lambda: sorted(ledger_lines(ledger)) == ["1", "2"], timeout=60)
    huey_settings.restart()  # under the running worker
    tasks.record.enqueue(3)
    wait_until(lambda: sorted(ledger_lines(ledger)) == ["1", "2", "3"], timeout=60)
    assert worker.process.poll() is None
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    assert Job.objects.filter(status="SUCCESSFUL", attempts=1).count() == 3


def test_jobs_of_a_process_killed_before_its_send_are_published_by_the_sweep(
    huey_settings, huey_worker, ledger
):
    """Committed and reserved, never sent: once their queue is empty and they are two
    leases old (4 s here), a worker's sweep sends them, and each runs once."""
    with mock.patch.object(process_publisher, "submit"):  # the process dies before sending
        for n in range(5):
            tasks.record.enqueue(n)
    assert queue_size() == 0
    assert Job.objects.filter(dispatched_at__isnull=False).count() == 5
    worker = huey_worker("--concurrency", "2")
    wait_until(lambda: sorted(map(int, ledger_lines(ledger))) == list(range(5)), timeout=60)
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    assert Job.objects.filter(status="SUCCESSFUL", attempts=1).count() == 5


def test_rolled_back_enqueue_publishes_nothing(huey_settings):
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.record.enqueue(1)
        assert queue_size() == 0  # not before commit either
        raise RuntimeError
    assert queue_size() == 0 and not Job.objects.exists()


class Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/django-jobs-pwned",))


def test_forged_messages_are_refused_and_the_worker_goes_on(huey_worker, ledger, tmp_path):
    huey = task_backends["default"].huey("default")
    huey.storage.enqueue(pickle.dumps(Exploit()), 0)
    huey.storage.enqueue(b"\x00\xffgarbage", 0)
    huey.storage.enqueue(b'{"id":"x","name":"django_jobs.run","args":["1"]}', 0)
    worker = huey_worker("--concurrency", "1")
    wait_until(lambda: queue_size() == 0)
    tasks.record.enqueue(5)
    wait_until(lambda: ledger_lines(ledger) == ["5"])
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0
    import os

    assert not os.path.exists("/tmp/django-jobs-pwned")
    assert "refused a queue message" in worker.output


def test_sigterm_drains_and_second_signal_hands_back(huey_worker, ledger):
    first = tasks.sleep_then_record.enqueue(1, 0.5)
    worker = huey_worker()
    wait_until(lambda: "start 1" in ledger_lines(ledger))
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    first.refresh()
    assert first.status == "SUCCESSFUL"

    second = tasks.sleep_then_record.enqueue(2, 30)
    worker = huey_worker()
    wait_until(lambda: "start 2" in ledger_lines(ledger))
    worker.signal(signal.SIGINT)
    # Two separate presses of Ctrl+C, not one coalesced signal: wait until the first is seen.
    wait_until(lambda: "stopping" in worker.output)
    worker.signal(signal.SIGINT)
    assert worker.wait() != 0
    second.refresh()
    assert second.status == "READY" and second.attempts == 1 and not second.errors


def test_a_drain_longer_than_the_lease_keeps_the_job_to_itself(huey_worker, ledger):
    """As in database mode: leases are renewed while a stopping worker drains."""
    result = tasks.sleep_then_record.enqueue(1, 6.0)
    stopping = huey_worker("--grace", "20")
    wait_until(lambda: "start 1" in ledger_lines(ledger))
    other = huey_worker()
    stopping.signal(signal.SIGTERM)
    assert stopping.wait() == 0, stopping.output
    other.signal(signal.SIGTERM)
    assert other.wait() == 0, other.output
    assert ledger_lines(ledger) == ["start 1", "end 1"]
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.attempts == 1


def test_jobs_claimed_ahead_behind_a_slow_one_go_to_another_worker(huey_worker, ledger):
    """As in database mode; what is handed back is published again at once."""
    drill_jobs_claimed_ahead_behind_a_slow_one(huey_worker, ledger)


def test_delayed_and_retried_jobs_wait_in_the_schedule_then_run(huey_worker, ledger):
    run_after = timezone.now() + timedelta(seconds=2)
    delayed = tasks.record.using(run_after=run_after).enqueue(1)
    retried = tasks.retry_later.enqueue(1.5)
    worker = huey_worker("--concurrency", "2", "--no-scheduler")
    wait_until(lambda: finished(delayed) and finished(retried), timeout=30)
    assert delayed.started_at >= run_after
    assert retried.attempts == 2 and retried.return_value == 2
    retried_job = Job.objects.get(pk=retried.id)
    assert retried_job.last_attempted_at - retried_job.started_at >= timedelta(seconds=1.5)
    assert task_backends["default"].huey("default").storage.schedule_size() == 0
    worker.signal()
    assert worker.wait() == 0, worker.output


def test_a_paused_queue_keeps_its_jobs_until_resumed(huey_worker, ledger):
    api.pause_queue("default", "default")
    paused = tasks.record.enqueue(1)
    other = tasks.echo.enqueue("on another queue")
    worker = huey_worker("--concurrency", "1", "--no-scheduler")
    wait_until(lambda: finished(other))
    time.sleep(1.5)  # longer than a worker keeps its list of paused queues
    paused.refresh()
    assert paused.status == "READY" and ledger_lines(ledger) == []
    assert queue_size() == 1
    api.resume_queue("default", "default")
    wait_until(lambda: finished(paused))
    assert ledger_lines(ledger) == ["1"]
    worker.signal()
    assert worker.wait() == 0, worker.output


def finished(result) -> bool:
    result.refresh()
    return result.status == "SUCCESSFUL"


def test_redis_is_not_touched_before_commit(huey_settings):
    client = redis.Redis.from_url(huey_settings.url)
    with transaction.atomic():
        tasks.record.enqueue(1)
        assert client.dbsize() == 0
    assert queue_size() == 1


def test_enqueue_leaves_the_send_to_the_publisher_thread(huey_settings):
    """enqueue() returns once the row is stored, reserved for the thread, which sends it."""
    result = tasks.record.enqueue(1)
    assert process_publisher.flush(timeout=10)
    assert queue_size() == 1
    assert Job.objects.get(pk=result.id).dispatched_at is not None


def test_publish_inline_sends_before_enqueue_returns(huey_settings):
    tasks_setting = settings.TASKS
    default = tasks_setting["default"]
    inline = {**default, "OPTIONS": {**default["OPTIONS"], "PUBLISH": "inline"}}
    with override_settings(TASKS={**tasks_setting, "default": inline}):
        result = tasks.record.enqueue(1)
        assert Job.objects.get(pk=result.id).dispatched_at is not None
        assert task_backends["default"].huey("default").storage.queue_size() == 1


def test_a_process_that_enqueues_then_exits_has_its_jobs_published(huey_settings):
    """Interpreter exit waits for the publisher thread: nothing is left to the sweep."""
    enqueue = "from tests import tasks\nfor n in range(50): tasks.record.enqueue(n)"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "JOBS_TEST_BACKEND": "huey",
        "REDIS_URL": huey_settings.url,
    }
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", enqueue],
        cwd=ROOT,
        env=environment,
        check=True,
        timeout=120,
    )
    assert task_backends["default"].huey("default").storage.queue_size() == 50
    assert Job.objects.filter(dispatched_at__isnull=True).count() == 0
    assert Job.objects.count() == 50
