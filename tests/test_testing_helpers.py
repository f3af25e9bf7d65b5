"""django_jobs.testing: what users' tests rely on, proven in every mode."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from django_jobs.backends import DatabaseBackend, ImmediateBackend
from django_jobs.compat import task_backends
from django_jobs.models import Job
from django_jobs.testing import (
    MODES,
    assert_enqueued,
    assert_not_enqueued,
    capture_jobs,
    jobs_mode,
    run_on_commit,
    run_until_empty,
)
from tests import tasks

pytestmark = pytest.mark.django_db


# -- capture_jobs --------------------------------------------------------------------


def test_capture_records_jobs_enqueued_inside_the_block_only(mode):
    later = timezone.now() + timedelta(hours=1)
    tasks.noop.enqueue()
    with capture_jobs() as captured:
        tasks.add.enqueue(1, 2)
        tasks.echo.using(priority=5, run_after=later).enqueue("x", k=[1])
    tasks.noop.enqueue()
    assert [job.task_path for job in captured] == ["tests.tasks.add", "tests.tasks.echo"]
    add, echo = captured
    assert (add.args, add.kwargs, add.queue, add.priority) == ([1, 2], {}, "default", 0)
    assert add.backend == "default"
    assert (echo.args, echo.kwargs, echo.queue, echo.priority) == (["x"], {"k": [1]}, "emails", 5)
    assert echo.run_after == later
    expected = "SUCCESSFUL" if mode == "immediate" else "READY"
    assert add.get_result().status == expected
    assert str(add) == "tests.tasks.add(args=[1, 2], kwargs={}, queue='default')"
    assert captured.for_task(tasks.echo) == [echo] == captured.for_task("tests.tasks.echo")


def test_capture_of_one_backend(mode):
    with capture_jobs(backend="default") as on_default, capture_jobs() as on_any:
        tasks.add.enqueue(1, 1)
        tasks.add.using(backend="immediate").enqueue(2, 2)
    assert [job.args for job in on_default] == [[1, 1]]
    assert [job.backend for job in on_any] == ["default", "immediate"]


def test_capture_of_an_unknown_backend_is_refused():
    with pytest.raises(
        ValueError, match="TASKS has no such backend; configured: default, immediate"
    ):
        with capture_jobs(backend="nope"):
            pass


def test_capture_sees_the_enqueue_a_rollback_undoes_and_the_table_does_not(mode):
    with capture_jobs() as captured:
        with pytest.raises(RuntimeError), transaction.atomic():
            tasks.add.enqueue(1, 2)
            raise RuntimeError("roll back")
    assert_enqueued(tasks.add, [1, 2], within=captured)
    assert_not_enqueued(tasks.add)


def test_a_unique_key_enqueue_that_returns_the_existing_job_is_not_captured(mode):
    later = timezone.now() + timedelta(hours=1)
    with capture_jobs() as captured:
        first = tasks.add.using(unique_key="k", run_after=later).enqueue(1, 1)
        second = tasks.add.using(unique_key="k").enqueue(2, 2)
    if mode == "immediate":  # the first one has run and freed the key
        assert [job.id for job in captured] == [first.id, second.id]
    else:
        assert second.id == first.id and [job.id for job in captured] == [first.id]


# -- assert_enqueued / assert_not_enqueued ------------------------------------------


def test_assertions_match_only_on_what_is_given(mode):
    with capture_jobs() as captured:
        tasks.add.enqueue(1, 2)
        tasks.add.using(queue_name="low").enqueue(3, 4)
        tasks.echo.enqueue("a", k=1)
    for within in (captured, None):
        assert len(assert_enqueued(tasks.add, within=within)) == 2
        assert assert_enqueued(tasks.add, (1, 2), {}, within=within)[0].queue == "default"
        assert_enqueued(tasks.add, queue="low", count=1, within=within)
        assert_enqueued("tests.tasks.add", count=2, within=within)
        assert_enqueued(tasks.echo, kwargs={"k": 1}, queue="emails", within=within)
        assert_enqueued(tasks.add.using(priority=9), [3, 4], within=within)  # same task
        assert_enqueued(tasks.noop, count=0, within=within)
        assert_not_enqueued(tasks.noop, within=within)
        assert_not_enqueued(tasks.add, [2, 1], within=within)
        assert_not_enqueued(tasks.add, queue="emails", within=within)
        assert_not_enqueued(tasks.echo, ["a"], {"k": 2}, within=within)


def test_assert_enqueued_failure_lists_what_was_enqueued():
    with capture_jobs() as captured:
        tasks.add.enqueue(1, 3)
        tasks.add.using(queue_name="low").enqueue(2, 2)
        tasks.noop.enqueue()
    with pytest.raises(AssertionError) as error:
        assert_enqueued(tasks.add, [1, 2], within=captured)
    assert str(error.value) == (
        "Expected tests.tasks.add to be enqueued once or more with args=[1, 2]; "
        "it was enqueued 0 times.\n"
        "Jobs of tests.tasks.add (captured): 2\n"
        "  tests.tasks.add(args=[1, 3], kwargs={}, queue='default')\n"
        "  tests.tasks.add(args=[2, 2], kwargs={}, queue='low')\n"
        "Other tasks enqueued: tests.tasks.noop (1)"
    )
    with pytest.raises(AssertionError) as error:
        assert_enqueued(tasks.add, count=3)
    assert str(error.value).splitlines()[:2] == [
        "Expected tests.tasks.add to be enqueued 3 times; it was enqueued 2 times.",
        "Jobs of tests.tasks.add (the Job table): 2",
    ]
    assert str(error.value).splitlines()[-1] == "Other tasks enqueued: tests.tasks.noop (1)"


def test_assert_enqueued_failure_when_the_task_never_was(mode):
    tasks.add.enqueue(1, 1)
    tasks.add.enqueue(2, 2)
    with pytest.raises(AssertionError) as error:
        assert_enqueued(tasks.echo, kwargs={"to": "me"}, queue="emails")
    assert str(error.value) == (
        "Expected tests.tasks.echo to be enqueued once or more with kwargs={'to': 'me'}, "
        "queue='emails'; it was enqueued 0 times.\n"
        "Jobs of tests.tasks.echo (the Job table): none\n"
        "Other tasks enqueued: tests.tasks.add (2)"
    )


def test_assert_not_enqueued_failure_lists_the_matching_jobs(mode):
    with capture_jobs() as captured:
        tasks.add.enqueue(1, 2)
        tasks.add.using(queue_name="low").enqueue(2, 2)
    for within, source in ((captured, "captured"), (None, "the Job table")):
        with pytest.raises(AssertionError) as error:
            assert_not_enqueued(tasks.add, queue="low", within=within)
        assert str(error.value) == (
            "Expected tests.tasks.add not to be enqueued with queue='low'; it was enqueued once.\n"
            f"Matching jobs ({source}): 1\n"
            "  tests.tasks.add(args=[2, 2], kwargs={}, queue='low')"
        )


def test_a_long_failure_message_is_cut_after_twenty_jobs():
    with capture_jobs() as captured:
        for n in range(25):
            tasks.record.enqueue(n)
    with pytest.raises(AssertionError) as error:
        assert_not_enqueued(tasks.record, within=captured)
    lines = str(error.value).splitlines()
    assert lines[2] == "  tests.tasks.record(args=[0], kwargs={}, queue='default')"
    assert lines[-1] == "  ... and 5 more" and len(lines) == 2 + 20 + 1


@pytest.mark.parametrize(
    ("task", "error", "message"),
    [
        (print, TypeError, r"got builtin_function_or_method <built-in function print>\.$"),
        (tasks.add.func, TypeError, r"\(decorate it with @task\)"),
        (42, TypeError, "Expected a task or its dotted path, got int 42"),
        ("tests.tasks.not_a_task", TypeError, "names a builtin_function_or_method, not a task"),
        ("tests.tasks.missing", TypeError, "does not name an importable task"),
    ],
)
def test_a_non_task_is_refused(task, error, message):
    for assertion in (assert_enqueued, assert_not_enqueued):
        with pytest.raises(error, match=message):
            assertion(task)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"count": -1}, ValueError, "count cannot be negative, got -1"),
        ({"count": "2"}, TypeError, "count must be a whole number of jobs, got '2'"),
        ({"count": True}, TypeError, "count must be a whole number"),
        ({"count": 1.0}, TypeError, "count must be a whole number"),
        ({"args": "12"}, TypeError, "args must be a list or tuple"),
        ({"args": [object()]}, TypeError, "args must be JSON values"),
        ({"kwargs": [("a", 1)]}, TypeError, "kwargs must be a dict"),
        ({"within": 5}, TypeError, "within must be what capture_jobs"),
    ],
)
def test_bad_assertion_arguments_are_refused(options, error, message):
    with pytest.raises(error, match=message):
        assert_enqueued(tasks.add, **options)


# -- jobs_mode --------------------------------------------------------------------------


@pytest.mark.parametrize("target", sorted(MODES))
def test_jobs_mode_switches_from_any_mode_and_back(mode, target, redis_server):
    before = task_backends["default"]
    # Switching to huey from another mode needs Redis; huey to huey keeps its OPTIONS.
    options = {"REDIS_URL": redis_server.url} if target == "huey" and mode != "huey" else {}
    with jobs_mode(target, **options):
        backend = task_backends["default"]
        assert backend is not before and type(backend).__name__ == MODES[target].rsplit(".")[-1]
        assert backend.queues == before.queues  # the other keys of TASKS["default"] are kept
        result = tasks.add.using(queue_name="low").enqueue(2, 3)
        assert result.status == ("SUCCESSFUL" if target == "immediate" else "READY")
        assert run_until_empty() == (0 if target == "immediate" else 1)
        assert tasks.add.get_result(result.id).return_value == 5
    assert type(task_backends["default"]) is type(before)


def test_jobs_mode_switches_another_backend():
    with jobs_mode("database", backend="immediate"):
        result = tasks.add.using(backend="immediate").enqueue(1, 1)
        assert isinstance(task_backends["immediate"], DatabaseBackend)
        assert result.status == "READY"
        assert run_until_empty("immediate") == 1
    assert isinstance(task_backends["immediate"], ImmediateBackend)


@jobs_mode("immediate")
def test_jobs_mode_decorates_a_test_function():
    assert tasks.add.enqueue(1, 2).status == "SUCCESSFUL"


@pytest.mark.parametrize(
    ("name", "backend", "options", "message"),
    [
        (
            "redis",
            "default",
            {},
            "Unknown jobs mode 'redis'; choose one of: database, huey, immediate.",
        ),
        (
            "database",
            "nope",
            {},
            "TASKS has no backend 'nope' to switch to database mode; "
            "configured: default, immediate.",
        ),
        (
            "huey",
            "default",
            {},
            "jobs_mode('huey') for backend 'default': "
            "TASKS['default']['OPTIONS'] needs exactly one of REDIS_URL or CONNECTION",
        ),
        ("huey", "default", {"REDIS_URL": "http://x"}, "must be a redis:// URL"),
        ("database", "default", {"REDIS_URL": "redis://x"}, "unknown option 'REDIS_URL'"),
    ],
)
def test_jobs_mode_refuses_what_cannot_work(name, backend, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        jobs_mode(name, backend, **options)


# -- run_on_commit -------------------------------------------------------------------


def test_run_on_commit_runs_enqueues_deferred_to_the_commit(mode):
    transaction.on_commit(partial(tasks.add.enqueue, 1, 1))
    with run_on_commit() as callbacks:
        transaction.on_commit(partial(tasks.add.enqueue, 2, 2))
    assert len(callbacks) == (2 if mode == "huey" else 1)  # huey publishes on commit too
    assert_enqueued(tasks.add, [2, 2], count=1)
    assert_not_enqueued(tasks.add, [1, 1])  # registered before the block: never run


def test_huey_publishes_on_commit_and_the_drain_does_not_need_it(huey_settings):
    queue = task_backends["default"].huey("default").storage
    unpublished = tasks.add.enqueue(1, 1)
    with run_on_commit():
        published = tasks.add.enqueue(2, 2)
    assert queue.queue_size() == 1
    assert run_until_empty() == 2  # the drain publishes what the commit did not
    assert queue.queue_size() == 0  # and nothing twice
    ran = Job.objects.filter(pk__in=[unpublished.id, published.id], status="SUCCESSFUL")
    assert ran.count() == 2


@jobs_mode("immediate")
class HelpersInATestCase(TestCase):
    """The same helpers under Django's test runner, in the test's transaction."""

    def test_capture_assert_and_on_commit(self):
        with capture_jobs() as captured, self.captureOnCommitCallbacks(execute=True):
            transaction.on_commit(partial(tasks.add.enqueue, 1, 2))
        assert_enqueued(tasks.add, [1, 2], within=captured)
        assert_enqueued(tasks.add, [1, 2])
        self.assertEqual(captured[0].get_result().return_value, 3)

    def test_database_mode_inside(self):
        with jobs_mode("database"), capture_jobs() as captured:
            tasks.add.enqueue(1, 2)
            self.assertEqual(run_until_empty(), 1)
        self.assertEqual(captured[0].get_result().return_value, 3)


# -- the pytest plugin ---------------------------------------------------------------


def test_plugin_fixture_jobs_captured(mode, jobs_captured):
    tasks.add.enqueue(1, 2)
    assert_enqueued(tasks.add, [1, 2], within=jobs_captured)
    assert [job.task_path for job in jobs_captured] == ["tests.tasks.add"]


def test_plugin_fixture_jobs_drain(mode, jobs_drain):
    result = tasks.add.enqueue(1, 2)
    assert jobs_drain() == (0 if mode == "immediate" else 1)
    assert tasks.add.get_result(result.id).return_value == 3


def test_plugin_fixture_jobs_on_commit(mode, jobs_on_commit):
    with jobs_on_commit():
        transaction.on_commit(partial(tasks.add.enqueue, 1, 2))
    assert_enqueued(tasks.add, [1, 2])


def test_plugin_fixtures_jobs_immediate_and_jobs_database(mode, request):
    request.getfixturevalue("jobs_immediate")
    assert tasks.add.enqueue(1, 2).status == "SUCCESSFUL"
    request.getfixturevalue("jobs_database")  # the last one requested wins
    assert tasks.add.enqueue(1, 2).status == "READY"


def test_importing_the_plugin_imports_neither_django_nor_the_app():
    code = (
        "import sys, django_jobs.testing.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('django_jobs', 'django'))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == (
        "['django_jobs', 'django_jobs.testing', 'django_jobs.testing.pytest_plugin']"
    )


@pytest.mark.slow
def test_the_entry_point_loads_the_plugin_before_django_and_our_suite_still_runs(tmp_path):
    """As once the package is installed: pytest finds the plugin through ``pytest11``."""
    dist = tmp_path / "django_jobs_entry_point_check-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: django-jobs-entry-point-check\nVersion: 0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[pytest11]\ndjango_jobs = django_jobs.testing.pytest_plugin\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "JOBS_TEST_DB", "JOBS_TEST_DIR", "PYTEST_ADDOPTS")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(tmp_path)])
    env["JOBS_TEST_DIR"] = str(tmp_path)
    names = ["captured", "drain", "on_commit"]
    selected = [f"{__file__}::test_plugin_fixture_jobs_{name}[database]" for name in names]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--trace-config", *selected],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "plugins: django-jobs-entry-point-check-0" in out.stdout
    assert "3 passed" in out.stdout
