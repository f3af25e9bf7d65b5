"""Forged admin requests change nothing: every state-changing URL, every kind of visitor.

A view-only staff user, a logged-in user who is not staff and an anonymous
visitor post to every admin URL that changes a job, a queue or a schedule; a
superuser's browser posts the same forms from another site (no CSRF token).
"""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from django_jobs.models import Job, Queue, Schedule
from django_jobs.scheduler import sync_schedules
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.admin.users import staff

pytestmark = pytest.mark.django_db

JOBS = "/admin/django_jobs/job/"
DASHBOARD = "/admin/django_jobs/dashboard/"
SCHEDULES = "/admin/django_jobs/schedule/"


@pytest.fixture
def state():
    """A failed, a ready-later and a due job, and a schedule: something for every action."""
    failed = tasks.always_fail.enqueue()
    run_until_empty(include_scheduled=True)
    later = tasks.add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1, 1)
    due = tasks.add.enqueue(2, 2)
    with override_settings(
        JOBS={"SCHEDULES": {"nightly": {"task": "tests.tasks.noop", "cron": "@daily"}}}
    ):
        sync_schedules()
    schedule = Schedule.objects.get(name="nightly")
    return [Job.objects.get(pk=r.id) for r in (failed, later, due)], schedule


def forged_posts(jobs, schedule) -> list[tuple[str, dict]]:
    failed, later, due = jobs
    ids = [str(job.pk) for job in jobs]
    return [
        *((f"{JOBS}{job.pk}/act/{name}/", {}) for job in jobs for name in ("requeue", "cancel")),
        (f"{JOBS}{later.pk}/act/run_now/", {}),
        *((JOBS, {"action": name, "_selected_action": ids}) for name in ("requeue", "cancel")),
        (JOBS, {"action": "run_now", "_selected_action": ids}),
        (JOBS, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}),
        (f"{JOBS}bulk/requeue-failed/", {}),
        (f"{JOBS}bulk/cancel-ready/", {}),
        (f"{JOBS}{failed.pk}/delete/", {"post": "yes"}),
        (f"{JOBS}{due.pk}/change/", {"status": "SUCCESSFUL", "priority": 100}),
        (f"{JOBS}add/", {"task_path": "os.system", "queue_name": "default"}),
        (f"{DASHBOARD}queue/", {"operation": "pause", "backend": "default", "queue": "default"}),
        (f"{DASHBOARD}schedule/", {"name": schedule.name}),
        (SCHEDULES, {"action": "pause", "_selected_action": [schedule.pk]}),
        (SCHEDULES, {"action": "run_now", "_selected_action": [schedule.pk]}),
        (f"{SCHEDULES}{schedule.pk}/delete/", {"post": "yes"}),
    ]


def snapshot() -> tuple:
    jobs = Job.objects.order_by("pk").values_list(
        "pk", "status", "run_after", "cancel_requested", "priority"
    )
    schedules = Schedule.objects.values_list("name", "paused", "enabled")
    return list(jobs), list(Queue.objects.values_list("name", "paused")), list(schedules)


def post_all(client, jobs, schedule) -> list[int]:
    before, log_entries = snapshot(), LogEntry.objects.count()
    codes = [client.post(url, data).status_code for url, data in forged_posts(jobs, schedule)]
    assert snapshot() == before
    assert LogEntry.objects.count() == log_entries
    return codes


@pytest.mark.parametrize("who", ["view-only staff", "non-staff user", "anonymous"])
def test_forged_posts_from_anyone_without_the_permission_change_nothing(client, state, who):
    if who == "view-only staff":
        client.force_login(staff())
    elif who == "non-staff user":
        client.force_login(User.objects.create_user("visitor", password="pw"))
    codes = post_all(client, *state)
    allowed = {302, 403, 404, 405} if who != "view-only staff" else {200, 302, 403, 404, 405}
    assert set(codes) <= allowed


def test_a_superusers_browser_cannot_be_made_to_post_from_another_site(state):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("root", password="pw"))
    codes = post_all(client, *state)
    assert set(codes) == {403}
