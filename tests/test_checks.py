import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

# ``check`` imports the URLconf (and with it the demo's tasks) and the scheduled tasks' modules.
# Imported here, under the test settings' queues, they are defined before a test narrows
# TASKS, as in a running project, whichever test of the process happens to run first.
import testproject.urls  # noqa: F401
import tests.tasks  # noqa: F401

pytestmark = pytest.mark.django_db


def test_clean_configuration_passes():
    call_command("check")


def test_bad_jobs_setting_fails_check_with_the_key_named(settings):
    settings.JOBS = {"LEASE_SECONDS": -5, "RETRIES": 3}
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "django_jobs.E001" in str(error.value)
    assert "JOBS['LEASE_SECONDS'] must be a positive number, got: -5" in str(error.value)
    assert "unknown key 'RETRIES'" in str(error.value)


def test_unknown_backend_option_fails_check(settings):
    tasks = {
        "default": {
            "BACKEND": "django_jobs.backends.DatabaseBackend",
            "OPTIONS": {"REDIS_URL": "redis://x"},
        }
    }
    with override_settings(TASKS=tasks), pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "django_jobs.E011" in str(error.value) and "'REDIS_URL'" in str(error.value)


@pytest.mark.parametrize(
    ("jobs", "check_id", "message"),
    [
        (
            {"SCHEDULES": {"n": {"task": "tests.tasks.noop", "cron": "99 * * * *"}}},
            "django_jobs.E030",
            "not a valid cron expression",
        ),
        (
            {"SCHEDULES": {"n": {"task": "tests.tasks.noop", "cron": "0 0 30 2 *"}}},
            "django_jobs.E030",
            "JOBS['SCHEDULES']['n']['cron'] never fires: no date matches '0 0 30 2 *'",
        ),
        (
            {"SCHEDULES": {"n": {"task": "tests.tasks.not_a_task", "cron": "@daily"}}},
            "django_jobs.E031",
            "not a Task",
        ),
        (
            {"SCHEDULES": {"n": {"task": "nowhere.task", "cron": "@daily"}}},
            "django_jobs.E031",
            "cannot be imported",
        ),
        ({"CREDIT_ACCOUNT_MODEL": "shop.Order"}, "django_jobs.E032", "CreditAccountMixin"),
        ({"CREDIT_ACCOUNT_MODEL": "nope"}, "django_jobs.E032", "'nope'"),
    ],
)
def test_bad_schedules_and_credit_model_fail_check(settings, jobs, check_id, message):
    settings.JOBS = jobs
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert check_id in str(error.value) and message in str(error.value)


def test_a_schedule_queue_its_backend_does_not_serve_fails_check(settings):
    settings.JOBS = {
        "SCHEDULES": {"n": {"task": "tests.tasks.noop", "cron": "@daily", "queue": "x"}}
    }
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "django_jobs.E033" in str(error.value)
    assert "JOBS['SCHEDULES']['n'] enqueues to queue 'x'" in str(error.value)
    assert "TASKS['default']['QUEUES']" in str(error.value)


def test_a_task_queue_its_backend_no_longer_serves_fails_check(settings):
    settings.JOBS = {"SCHEDULES": {"n": {"task": "tests.tasks.echo", "cron": "@daily"}}}
    tasks = {**settings.TASKS, "default": {**settings.TASKS["default"], "QUEUES": ["default"]}}
    with override_settings(TASKS=tasks), pytest.raises(SystemCheckError) as error:
        call_command("check")
    messages = [line for line in str(error.value).splitlines() if "E033" in line]
    assert len(messages) == 1 and "['n'] enqueues to queue 'emails'" in messages[0]


def test_a_backend_without_queues_serves_any_queue(settings):
    settings.JOBS = {
        "SCHEDULES": {"n": {"task": "tests.tasks.noop", "cron": "@daily", "queue": "x"}}
    }
    tasks = {**settings.TASKS, "default": {**settings.TASKS["default"], "QUEUES": []}}
    with override_settings(TASKS=tasks):
        call_command("check")
