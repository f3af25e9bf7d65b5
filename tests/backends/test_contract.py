"""One contract, every mode: what users see through Django's API must not depend on the mode."""

from datetime import timedelta

import pytest
from django.utils import timezone

from django_jobs.compat import (
    InvalidTask,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_enqueued,
    task_finished,
    task_started,
)
from django_jobs.exceptions import InvalidJobOptions, InvalidPayload
from django_jobs.models import Job
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.backends.receivers import enqueue_raising_in_a_receiver

pytestmark = pytest.mark.django_db


def finish(result):
    """Drive a result to an end state the way the mode does, then refresh it."""
    run_until_empty(include_scheduled=True)
    result.refresh()
    return result


def test_success_is_recorded_with_return_value(mode):
    result = finish(tasks.add.enqueue(2, 3))
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5
    assert result.attempts == 1 == len(result.worker_ids)
    job = Job.objects.get(pk=result.id)
    assert job.backend_name == "default" and job.task_path == "tests.tasks.add"
    assert job.enqueued_at <= job.started_at <= job.finished_at


def test_get_result_returns_stored_state(mode):
    result = finish(tasks.echo.enqueue(1, "two", key=[3]))
    fetched = tasks.echo.get_result(result.id)
    assert fetched.status == TaskResultStatus.SUCCESSFUL
    assert fetched.return_value == {"args": [1, "two"], "kwargs": {"key": [3]}}
    assert fetched.task.queue_name == "emails"
    assert fetched.args == [1, "two"] and fetched.kwargs == {"key": [3]}


def test_get_result_of_unknown_id(mode, backend):
    with pytest.raises(TaskResultDoesNotExist):
        backend.get_result("00000000-0000-0000-0000-000000000000")
    with pytest.raises(TaskResultDoesNotExist):
        backend.get_result("not-a-uuid")


def test_failure_retries_then_fails_with_every_traceback(mode):
    result = finish(tasks.always_fail.enqueue("kaput"))
    assert result.status == TaskResultStatus.FAILED
    assert result.attempts == 3
    assert [e.exception_class_path for e in result.errors] == ["builtins.ValueError"] * 3
    assert all("kaput" in e.traceback for e in result.errors)
    with pytest.raises(ValueError, match="failed"):
        result.return_value  # noqa: B018


def test_retry_succeeds_on_later_attempt_and_context_sees_attempt(mode):
    result = finish(tasks.fail_until.enqueue(3))
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 3 == result.attempts
    assert len(result.errors) == 2


def test_retry_later_and_permanent_failure(mode):
    later = finish(tasks.retry_later.enqueue(0.01))
    assert later.status == TaskResultStatus.SUCCESSFUL and later.return_value == 2
    assert later.errors[0].exception_class_path == "django_jobs.exceptions.RetryLater"

    permanent = finish(tasks.permanent.enqueue())
    assert permanent.status == TaskResultStatus.FAILED and permanent.attempts == 1


def test_retry_on_limits_which_errors_retry(mode):
    assert finish(tasks.only_connection_errors.enqueue("connection")).attempts == 4
    assert finish(tasks.only_connection_errors.enqueue("bug")).attempts == 1


def test_system_exit_in_a_task_fails_the_job_only(mode):
    result = finish(tasks.system_exit.enqueue())
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[-1].exception_class_path == "builtins.SystemExit"


def test_async_task_runs(mode):
    assert finish(tasks.async_add.enqueue(20, 22)).return_value == 42


def test_timeouts_stop_sync_and_async_tasks(mode):
    for slow in (tasks.too_slow, tasks.too_slow_async):
        result = finish(slow.enqueue())
        assert result.status == TaskResultStatus.FAILED
        assert result.errors[0].exception_class_path == "django_jobs.exceptions.JobTimeout"


def test_non_json_return_value_fails_clearly(mode):
    result = finish(tasks.returns_object.enqueue())
    assert result.status == TaskResultStatus.FAILED and result.attempts == 1
    assert "not JSON-serialisable" in result.errors[0].traceback


def test_using_overrides_options_for_one_call(mode):
    result = finish(tasks.always_fail.using(max_attempts=1, priority=5).enqueue())
    assert result.attempts == 1
    assert Job.objects.get(pk=result.id).priority == 5


def test_unique_key_returns_the_unfinished_job(mode):
    later = timezone.now() + timedelta(hours=1)
    first = tasks.add.using(unique_key="k1", run_after=later).enqueue(1, 1)
    if mode != "immediate":  # immediate mode has already run the first one
        second = tasks.add.using(unique_key="k1").enqueue(2, 2)
        assert second.id == first.id and second.args == [1, 1]
        assert Job.objects.filter(unique_key="k1").count() == 1
    finish(first)
    third = tasks.add.using(unique_key="k1").enqueue(3, 3)
    assert third.id != first.id  # the first one finished: the key is free again


def test_signals_fire_as_django_documents(mode):
    seen = []

    def receiver(signal_name):
        return lambda sender, task_result, **kw: seen.append((signal_name, task_result.status))

    handlers = {name: receiver(name) for name in ("enqueued", "started", "finished")}
    task_enqueued.connect(handlers["enqueued"])
    task_started.connect(handlers["started"])
    task_finished.connect(handlers["finished"])
    try:
        finish(tasks.fail_until.enqueue(2))
    finally:
        task_enqueued.disconnect(handlers["enqueued"])
        task_started.disconnect(handlers["started"])
        task_finished.disconnect(handlers["finished"])
    assert seen == [
        ("enqueued", TaskResultStatus.READY),
        ("started", TaskResultStatus.RUNNING),
        ("started", TaskResultStatus.RUNNING),
        ("finished", TaskResultStatus.SUCCESSFUL),
    ]


def test_a_raising_enqueued_receiver_is_seen_and_the_job_still_runs(mode):
    """The job is stored before ``task_enqueued`` is sent: a receiver that raises reaches
    the caller, but must not leave the stored job unsent (or, immediate, never run)."""
    with enqueue_raising_in_a_receiver():
        tasks.add.enqueue(2, 3)
    (job,) = Job.objects.all()
    if mode == "immediate":  # ran inside enqueue(), before the receiver's error was raised
        assert (job.status, job.return_value) == ("SUCCESSFUL", 5)
    run_until_empty(include_scheduled=True)
    job.refresh_from_db()
    assert (job.status, job.return_value, job.attempts) == ("SUCCESSFUL", 5, 1)


def test_a_success_is_signalled_with_the_result_get_result_gives(mode):
    signalled = []

    def receiver(sender, task_result, **kwargs):
        signalled.append(task_result)

    task_finished.connect(receiver)
    try:
        result = finish(tasks.echo.enqueue(1, "two", key=[3]))
    finally:
        task_finished.disconnect(receiver)
    (finished,) = signalled
    stored = tasks.echo.get_result(result.id)
    for name in ("id", "status", "enqueued_at", "started_at", "finished_at", "last_attempted_at"):
        assert getattr(finished, name) == getattr(stored, name), name
    for name in ("args", "kwargs", "backend", "errors", "worker_ids", "return_value"):
        assert getattr(finished, name) == getattr(stored, name), name
    assert finished.task.queue_name == stored.task.queue_name == "emails"
    assert finished.finished_at is not None


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: tasks.add.enqueue(1), InvalidPayload, "Arguments don't match"),
        (lambda: tasks.add.enqueue(1, 2, 3), InvalidPayload, "Arguments don't match"),
        (lambda: tasks.add.enqueue(1, c=2), InvalidPayload, "Arguments don't match"),
        (lambda: tasks.echo.enqueue(timezone.now()), InvalidPayload, "JSON-serialisable"),
        (lambda: tasks.echo.enqueue({1, 2}), InvalidPayload, "JSON-serialisable"),
        (lambda: tasks.echo.enqueue(float("nan")), InvalidPayload, "JSON-serialisable"),
        (lambda: tasks.echo.enqueue("x" * 1_000_001), InvalidPayload, "over the limit"),
        (lambda: tasks.add.using(queue_name="nope").enqueue(1, 2), InvalidTask, "Queue 'nope'"),
        (lambda: tasks.add.using(priority=101).enqueue(1, 2), InvalidTask, "priority"),
        (lambda: tasks.add.using(max_attempts=0).enqueue(1, 2), InvalidJobOptions, "max_attempts"),
        (lambda: tasks.add.using(timeout=-1).enqueue(1, 2), InvalidJobOptions, "timeout"),
        (
            lambda: tasks.add.using(unique_key="u" * 256).enqueue(1, 2),
            InvalidJobOptions,
            "unique_key",
        ),
        (lambda: tasks.add.using(retry_on=(int,)).enqueue(1, 2), InvalidJobOptions, "retry_on"),
        (
            lambda: tasks.add.using(run_after=timezone.now().replace(tzinfo=None)).enqueue(1, 2),
            InvalidTask,
            "aware",
        ),
    ],
)
def test_bad_input_raises_at_enqueue_and_stores_nothing(mode, call, error, message):
    with pytest.raises(error, match=message):
        call()
    assert not Job.objects.exists()
