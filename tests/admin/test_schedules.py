"""Schedules and webhook attempts in the admin: staff see them, only permitted staff act."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import override_settings

from django_jobs.models import Job, Schedule, WebhookDelivery
from django_jobs.scheduler import sync_schedules
from django_jobs.testing import assert_enqueued

pytestmark = pytest.mark.django_db

URL = "/admin/django_jobs/schedule/"


@pytest.fixture
def schedule():
    with override_settings(
        JOBS={"SCHEDULES": {"nightly": {"task": "tests.tasks.noop", "cron": "@daily"}}}
    ):
        sync_schedules()
    return Schedule.objects.get(name="nightly")


def staff(*perms):
    user = User.objects.create_user("op" + "".join(perms)[:20], password="pw", is_staff=True)
    for codename in ("view_schedule", "view_webhookdelivery", *perms):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def post_action(client, action, schedule):
    return client.post(URL, {"action": action, "_selected_action": [schedule.pk]})


def test_operator_with_permission_pauses_resumes_and_runs_now(client, schedule):
    client.force_login(staff("run_schedule"))
    assert post_action(client, "pause", schedule).status_code == 302
    assert Schedule.objects.get(pk=schedule.pk).paused
    post_action(client, "resume", schedule)
    assert not Schedule.objects.get(pk=schedule.pk).paused
    post_action(client, "run_now", schedule)
    assert_enqueued("tests.tasks.noop", count=1)
    assert LogEntry.objects.filter(object_id=str(schedule.pk)).count() == 3


def test_view_only_staff_cannot_act(client, schedule):
    client.force_login(staff())
    page = client.get(URL)
    assert page.status_code == 200 and b"nightly" in page.content
    assert b"Run selected schedules now" not in page.content
    post_action(client, "run_now", schedule)  # a forged POST
    assert not Job.objects.exists() and not Schedule.objects.get(pk=schedule.pk).paused


def test_non_staff_and_anonymous_are_kept_out(client, schedule):
    assert client.get(URL).status_code == 302
    client.force_login(User.objects.create_user("visitor", password="pw"))
    assert client.get(URL).status_code == 302
    post_action(client, "run_now", schedule)
    assert not Job.objects.exists()


def nightly_row(client) -> str:
    """The list's table row of the "nightly" schedule, whatever rows come before it."""
    page = client.get(URL).content.decode()
    return re.search(r"<tr>(?:(?!</tr>).)*nightly.*?</tr>", page, re.S).group(0)


def test_the_list_shows_each_schedule_next_run(client, schedule):
    client.force_login(staff())
    row = nightly_row(client)
    assert "Next run" in client.get(URL).content.decode()
    assert "midnight" in row  # @daily, in the project's time zone
    Schedule.objects.filter(pk=schedule.pk).update(paused=True)
    row = nightly_row(client)
    assert "midnight" not in row


def test_webhook_attempts_are_listed(client):
    WebhookDelivery.objects.create(
        job_id="00000000-0000-0000-0000-000000000001",
        event_id="msg_1",
        event_type="invoice.paid",
        endpoint_url="https://example.com/h",
        attempt=2,
        status_code=503,
        response_body="<b>down</b>",
    )
    client.force_login(staff())
    page = client.get("/admin/django_jobs/webhookdelivery/")
    assert b"invoice.paid" in page.content and b"503" in page.content
