import pytest
from django.test import override_settings

from django_jobs import task
from django_jobs.compat import DJANGO_TASK_ACCEPTS_OPTIONS, TASKS_PACKAGE, django_task
from django_jobs.exceptions import InvalidJobOptions
from django_jobs.jobtask import JobTask
from tests import tasks


def test_decorator_builds_job_tasks_with_options():
    assert isinstance(tasks.only_connection_errors, JobTask)
    assert tasks.only_connection_errors.retry_on == (ConnectionError,)
    assert tasks.only_connection_errors.max_attempts == 4


def test_using_keeps_options_and_changes_only_what_is_given():
    changed = tasks.only_connection_errors.using(priority=3, unique_key="x")
    assert (changed.priority, changed.unique_key, changed.max_attempts) == (3, "x", 4)
    assert changed.func is tasks.only_connection_errors.func


def test_django_own_task_decorator_accepts_our_options_except_on_6_0():
    if DJANGO_TASK_ACCEPTS_OPTIONS:
        built = django_task(max_attempts=7)(tasks.add.func)
        assert isinstance(built, JobTask) and built.max_attempts == 7
    else:
        with pytest.raises(TypeError):
            django_task(max_attempts=7)(tasks.add.func)
    assert isinstance(django_task(tasks.add.func), JobTask)


def test_unknown_and_static_run_after_options_are_refused():
    with pytest.raises(TypeError, match="unknown options"):
        task(retries=3)
    with pytest.raises(TypeError, match="run_after"):
        task(run_after=None)


@pytest.mark.parametrize(
    "options",
    [
        {"max_attempts": "3"},
        {"backoff": -1},
        {"timeout": 0},
        {"unique_key": ""},
        {"retry_on": ("x",)},
    ],
)
def test_invalid_options_fail_at_definition(options):
    with pytest.raises(InvalidJobOptions):
        task(**options)(tasks.add.func)


def test_options_on_a_backend_that_does_not_take_them():
    immediate = f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"
    tasks_setting = {"default": {"BACKEND": immediate}}
    with (
        override_settings(TASKS=tasks_setting),
        pytest.raises(InvalidJobOptions, match="does not accept"),
    ):
        task(max_attempts=2)(tasks.add.func)
