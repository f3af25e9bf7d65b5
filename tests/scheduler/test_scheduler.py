"""The scheduler against the database: sync, exactly-once ticks, catch-up, overlap, control."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import close_old_connections
from django.test import override_settings

from django_jobs import api
from django_jobs.models import Job, Schedule, ScheduleRun
from django_jobs.scheduler import Scheduler, fire_due, sync_schedules
from django_jobs.testing import run_until_empty

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC)
EVERY_MINUTE = {"task": "tests.tasks.noop", "cron": "* * * * *"}


def jobs_with(**schedules):
    return override_settings(
        JOBS={
            "SCHEDULES": {
                "django_jobs.prune_jobs": None,
                "django_jobs.cleanup_sessions": None,
                "django_jobs.reset_credits": None,
                **schedules,
            }
        }
    )


def fire(name, now):
    return fire_due(Schedule.objects.get(name=name), now)


def test_sync_adds_updates_and_disables():
    with jobs_with(a=EVERY_MINUTE, b={**EVERY_MINUTE, "cron": "@daily"}):
        sync_schedules(T0)
    assert set(Schedule.objects.values_list("name", "enabled")) == {("a", True), ("b", True)}
    with jobs_with(a={**EVERY_MINUTE, "cron": "*/5 * * * *", "args": []}):
        sync_schedules(T0 + timedelta(hours=1))
    a, b = Schedule.objects.order_by("name")
    assert a.cron == "*/5 * * * *" and a.created_at == T0
    assert b.enabled is False  # removed from settings: disabled, history kept
    with jobs_with(a=EVERY_MINUTE, b={**EVERY_MINUTE, "cron": "@daily"}):
        sync_schedules(T0 + timedelta(hours=2))
    assert Schedule.objects.get(name="b").enabled is True


def test_built_in_schedules_are_synced_by_default():
    sync_schedules(T0)
    assert set(Schedule.objects.values_list("name", flat=True)) == {
        "django_jobs.cleanup_sessions",
        "django_jobs.prune_jobs",
        "django_jobs.reset_credits",
    }


def test_each_tick_fires_once_and_never_before_the_schedule_existed():
    with jobs_with(a=EVERY_MINUTE):
        sync_schedules(T0)
    assert fire("a", T0) is None  # 12:00 is before the schedule was created at 12:00:30
    run = fire("a", T0 + timedelta(minutes=1))
    assert run.tick == datetime(2026, 6, 1, 12, 1, tzinfo=UTC) and run.job_id
    assert fire("a", T0 + timedelta(minutes=1, seconds=10)) is None
    assert Job.objects.count() == 1


def test_after_downtime_the_latest_missed_tick_runs_once():
    with jobs_with(a={**EVERY_MINUTE, "overlap": "allow"}):
        sync_schedules(T0)
    fire("a", T0 + timedelta(minutes=1))
    run = fire("a", T0 + timedelta(hours=3))
    assert run.tick == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
    assert ScheduleRun.objects.count() == 2 and Job.objects.count() == 2


def test_catch_up_none_skips_a_late_tick():
    with jobs_with(a={**EVERY_MINUTE, "cron": "0 * * * *", "catch_up": "none"}):
        sync_schedules(T0)
    run = fire("a", T0 + timedelta(hours=3, minutes=30))  # the 15:00 tick, 30 minutes late
    assert run.skipped.startswith("missed") and run.job_id is None
    assert not Job.objects.exists()
    on_time = fire("a", T0 + timedelta(hours=4, seconds=-20))  # 16:00:10
    assert on_time.job_id and not on_time.skipped


def test_overlap_skip_waits_for_the_previous_run():
    with jobs_with(a=EVERY_MINUTE):
        sync_schedules(T0)
    first = fire("a", T0 + timedelta(minutes=1))
    second = fire("a", T0 + timedelta(minutes=2))
    assert second.skipped.startswith("previous run") and second.job_id is None
    run_until_empty()
    third = fire("a", T0 + timedelta(minutes=3))
    assert third.job_id and third.job_id != first.job_id


def test_pause_resume_and_run_now():
    with jobs_with(a=EVERY_MINUTE):
        sync_schedules(T0)
    api.pause_schedule("a")
    scheduler = Scheduler(threading.Event(), clock=lambda: T0 + timedelta(minutes=5))
    scheduler.synced = True
    scheduler.step()
    assert not ScheduleRun.objects.exists()
    job_id = api.run_schedule_now("a")
    assert Job.objects.get(pk=job_id).task_path == "tests.tasks.noop"
    assert api.resume_schedule("a").paused is False
    for call in (api.pause_schedule, api.resume_schedule, api.run_schedule_now):
        with pytest.raises(LookupError, match="No schedule named 'nope'"):
            call("nope")


def test_arguments_and_queue_are_passed():
    with jobs_with(
        a={
            "task": "tests.tasks.add",
            "cron": "* * * * *",
            "args": [2],
            "kwargs": {"b": 3},
            "queue": "low",
        }
    ):
        sync_schedules(T0)
    run = fire("a", T0 + timedelta(minutes=1))
    job = Job.objects.get(pk=run.job_id)
    assert (job.args, job.kwargs, job.queue_name) == ([2], {"b": 3}, "low")
    run_until_empty()
    assert Job.objects.get(pk=run.job_id).return_value == 5


@pytest.mark.django_db(transaction=True)
def test_four_schedulers_over_many_ticks_enqueue_each_tick_once():
    with jobs_with(a={**EVERY_MINUTE, "overlap": "allow"}):
        sync_schedules(T0)
        minutes = 120
        barrier = threading.Barrier(4)

        def scheduler_thread():
            try:
                for minute in range(1, minutes + 1):
                    barrier.wait()
                    fire("a", T0 + timedelta(minutes=minute))
            finally:
                close_old_connections()

        threads = [threading.Thread(target=scheduler_thread) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    ticks = list(ScheduleRun.objects.values_list("tick", flat=True))
    assert len(ticks) == len(set(ticks)) == minutes
    assert Job.objects.count() == minutes


def test_a_changed_cron_starts_from_its_next_tick_not_a_stale_one():
    daily = {**EVERY_MINUTE, "cron": "0 3 * * *", "overlap": "allow"}
    with jobs_with(a=daily):
        sync_schedules(T0)
    assert fire("a", datetime(2026, 6, 2, 3, 0, 10, tzinfo=UTC)).tick.hour == 3
    changed_at = datetime(2026, 6, 2, 10, 0, 30, tzinfo=UTC)
    with jobs_with(a={**daily, "cron": "0 9 * * *"}):
        sync_schedules(changed_at)
    assert fire("a", changed_at + timedelta(seconds=10)) is None  # 09:00 today is not "missed"
    assert fire("a", datetime(2026, 6, 2, 23, tzinfo=UTC)) is None
    run = fire("a", datetime(2026, 6, 3, 9, 0, 5, tzinfo=UTC))
    assert run.tick == datetime(2026, 6, 3, 9, tzinfo=UTC) and run.job_id
    assert ScheduleRun.objects.count() == 2


def test_a_changed_time_zone_starts_from_its_next_tick():
    daily = {**EVERY_MINUTE, "cron": "0 12 * * *", "timezone": "Europe/Berlin", "overlap": "allow"}
    with jobs_with(a=daily):
        sync_schedules(T0)
    assert fire("a", datetime(2026, 6, 2, 10, 0, 10, tzinfo=UTC)).tick.hour == 10  # 12:00 CEST
    changed_at = datetime(2026, 6, 2, 12, 30, tzinfo=UTC)
    with jobs_with(a={**daily, "timezone": "UTC"}):
        sync_schedules(changed_at)
    assert fire("a", changed_at + timedelta(seconds=10)) is None  # it ran today already
    run = fire("a", datetime(2026, 6, 3, 12, 0, 5, tzinfo=UTC))
    assert run.tick == datetime(2026, 6, 3, 12, tzinfo=UTC)


@pytest.mark.parametrize("how", ["removed", "enabled=False"])
def test_a_re_enabled_schedule_starts_from_its_next_tick(how):
    hourly = {**EVERY_MINUTE, "cron": "@hourly", "overlap": "allow"}
    with jobs_with(a=hourly):
        sync_schedules(T0)
    fire("a", T0 + timedelta(hours=1))
    with jobs_with(**({} if how == "removed" else {"a": {**hourly, "enabled": False}})):
        sync_schedules(T0 + timedelta(hours=2))
    assert Schedule.objects.get(name="a").enabled is False
    back = T0 + timedelta(days=3, minutes=20)
    with jobs_with(a=hourly):
        sync_schedules(back)
    assert fire("a", back + timedelta(seconds=5)) is None  # the 12:00 tick of that day is stale
    assert fire("a", back + timedelta(minutes=40)).tick == datetime(2026, 6, 4, 13, tzinfo=UTC)


def test_an_unchanged_re_sync_keeps_a_due_tick():
    with jobs_with(a={**EVERY_MINUTE, "overlap": "allow"}):
        sync_schedules(T0)
        fire("a", T0 + timedelta(minutes=1))
        sync_schedules(T0 + timedelta(minutes=3, seconds=5))  # another worker starts
    assert fire("a", T0 + timedelta(minutes=3, seconds=10)).tick.minute == 3
