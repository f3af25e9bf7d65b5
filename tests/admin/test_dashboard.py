"""The dashboard: per-queue numbers that link to the jobs they count, workers, schedules,
queue and schedule buttons with their permissions, and a query count that does not grow."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_jobs import api
from django_jobs.models import Job, Queue, Schedule, Worker
from django_jobs.scheduler import sync_schedules
from django_jobs.testing import assert_enqueued, assert_not_enqueued, run_until_empty
from tests import tasks
from tests.admin.users import staff

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/django_jobs/dashboard/"
LIST = "/admin/django_jobs/job/"


def seed_queue_states():
    """In ``high``: 1 succeeded, 1 failed; in ``emails``: 2 due, 1 scheduled, 1 running."""
    tasks.add.using(queue_name="high").enqueue(2, 2)
    tasks.always_fail.using(queue_name="high").enqueue("x")
    run_until_empty(include_scheduled=True)
    emails = tasks.add.using(queue_name="emails")
    emails.enqueue(1, 1)
    emails.enqueue(1, 2)
    emails.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1, 3)
    running = emails.enqueue(1, 4)
    Job.objects.filter(pk=running.id).update(
        status="RUNNING", last_attempted_at=timezone.now(), worker_id="w", attempts=1
    )
    Job.objects.filter(queue_name="emails", status="READY", run_after__lte=timezone.now()).update(
        run_after=timezone.now() - timedelta(minutes=5)
    )


def queue_row(page, backend, queue):
    match = re.search(
        rf'<tr class="queue[^"]*" data-queue="{backend}/{queue}">(.*?)</tr>', page, re.S
    )
    assert match, f"no row for {backend}/{queue}"
    return match.group(1)


def linked_numbers(row):
    return [
        (href.replace("&amp;", "&"), int(n))
        for href, n in re.findall(r'<a href="([^"]+)">(\d+)</a>', row)
    ]


def test_every_number_links_to_a_list_holding_exactly_those_jobs(client):
    seed_queue_states()
    client.force_login(staff())
    page = client.get(DASHBOARD).content.decode()
    row = queue_row(page, "default", "emails")
    numbers = linked_numbers(row)
    assert [n for _, n in numbers] == [2, 1, 1, 0, 0]  # due, scheduled, running, ok, failed
    assert "5 min" in row  # the oldest due job's age
    for href, count in numbers:
        listing = client.get(href).content.decode()
        assert listing.count('class="job-status"') == count, href
    high = linked_numbers(queue_row(page, "default", "high"))
    assert [n for _, n in high] == [0, 0, 0, 1, 1]
    failed_href = high[4][0]
    assert "state=failed" in failed_href and "finished_within=24h" in failed_href
    assert "always_fail" in client.get(failed_href).content.decode()


def test_configured_but_empty_queues_are_listed(client):
    client.force_login(staff())
    page = client.get(DASHBOARD).content.decode()
    assert [n for _, n in linked_numbers(queue_row(page, "default", "low"))] == [0] * 5


def test_chart_counts_this_hours_outcomes(client):
    tasks.add.enqueue(1, 2)
    tasks.add.enqueue(3, 4)
    tasks.always_fail.enqueue("boom")
    run_until_empty(include_scheduled=True)
    client.force_login(staff())
    page = client.get(DASHBOARD).content.decode()
    chart = re.search(r'<section id="throughput">(.*?)</section>', page, re.S).group(1)
    assert "<svg" in chart and "<script" not in chart  # drawn on the server, no JS
    titles = re.findall(r"<title>([^<]+)</title>", chart)
    assert len(titles) == 24
    assert titles[-1].endswith("2 succeeded, 1 failed")
    assert all(t.endswith("0 succeeded, 0 failed") for t in titles[:-1])


def test_live_and_lost_workers(client):
    Worker.objects.create(id="alive-1", hostname="h", pid=1, backend_name="default", concurrency=4)
    Worker.objects.create(
        id="gone-1",
        hostname="h",
        pid=2,
        backend_name="default",
        concurrency=4,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    Worker.objects.create(
        id="stopped-1",
        hostname="h",
        pid=3,
        backend_name="default",
        concurrency=4,
        stopped_at=timezone.now(),
    )
    client.force_login(staff())
    page = client.get(DASHBOARD).content.decode()
    assert "Workers: 1 live, 1 lost" in page
    assert "alive-1" in page and "gone-1" in page and "stopped-1" not in page


@pytest.fixture
def nightly():
    with override_settings(
        JOBS={"SCHEDULES": {"nightly": {"task": "tests.tasks.noop", "cron": "0 2 * * *"}}}
    ):
        sync_schedules()
    return Schedule.objects.get(name="nightly")


def test_schedules_show_next_run_and_run_now_needs_its_permission(client, nightly):
    client.force_login(staff())
    page = client.get(DASHBOARD).content.decode()
    row = re.search(r'<tr data-schedule="nightly">(.*?)</tr>', page, re.S).group(1)
    assert "never" in row and "2 a.m." in row or "02:00" in row
    assert "Run now" not in page
    assert client.post(f"{DASHBOARD}schedule/", {"name": "nightly"}).status_code == 403
    assert_not_enqueued(tasks.noop)

    client.force_login(staff("run_schedule"))
    assert "Run now" in client.get(DASHBOARD).content.decode()
    assert client.post(f"{DASHBOARD}schedule/", {"name": "nightly"}).status_code == 302
    assert_enqueued(tasks.noop, count=1)
    entry = LogEntry.objects.get(object_id=str(nightly.pk))
    assert entry.change_message == "Run now from the dashboard"


def test_a_paused_schedule_shows_no_next_run(client, nightly):
    client.force_login(staff())
    api.pause_schedule("nightly")
    page = client.get(DASHBOARD).content.decode()
    row = re.search(r'<tr data-schedule="nightly">(.*?)</tr>', page, re.S).group(1)
    assert "paused" in row and "2 a.m." not in row


def test_run_now_of_an_unknown_schedule_says_so_and_enqueues_nothing(client, nightly):
    client.force_login(staff("run_schedule"))
    response = client.post(f"{DASHBOARD}schedule/", {"name": "nope"}, follow=True)
    assert "No schedule named 'nope'" in html.unescape(response.content.decode())
    response = client.post(f"{DASHBOARD}schedule/", {"name": "nightly\x00"}, follow=True)
    assert "No schedule named" in html.unescape(response.content.decode())
    assert client.get(f"{DASHBOARD}schedule/").status_code == 405
    assert not Job.objects.exists()


def test_pause_and_resume_a_queue(client):
    client.force_login(staff("pause_queue"))
    form = {"backend": "default", "queue": "emails", "operation": "pause"}
    response = client.post(f"{DASHBOARD}queue/", form, follow=True)
    assert "Paused queue default/emails." in response.content.decode()
    assert Queue.objects.get(backend_name="default", name="emails").paused
    assert "emails (paused)" in response.content.decode()
    # Workers skip it: a due job there stays READY.
    result = tasks.add.using(queue_name="emails").enqueue(1, 2)
    run_until_empty()
    assert Job.objects.get(pk=result.id).status == "READY"
    client.post(f"{DASHBOARD}queue/", {**form, "operation": "resume"})
    assert not Queue.objects.get(name="emails").paused
    assert LogEntry.objects.filter(object_repr__startswith="default/emails").count() == 2


@pytest.mark.parametrize(
    "form",
    [
        {"backend": "default", "queue": "emails", "operation": "delete"},
        {"backend": "default", "queue": "no-such-queue", "operation": "pause"},
        {"backend": "nope", "queue": "emails", "operation": "pause"},
        {"backend": "default", "queue": "", "operation": "pause"},
        {"backend": "default", "queue": "emails\x00", "operation": "pause"},
        {},
    ],
)
def test_bad_queue_requests_change_nothing(client, form):
    client.force_login(staff("pause_queue"))
    response = client.post(f"{DASHBOARD}queue/", form, follow=True)
    assert "No such queue or operation." in response.content.decode()
    assert not Queue.objects.exists()


def test_pausing_needs_the_permission_and_the_buttons_follow_it(client):
    client.force_login(staff())
    assert ">Pause</button>" not in client.get(DASHBOARD).content.decode()
    form = {"backend": "default", "queue": "emails", "operation": "pause"}
    assert client.post(f"{DASHBOARD}queue/", form).status_code == 403
    assert not Queue.objects.exists()


def test_who_may_see_the_dashboard(client):
    assert client.get(DASHBOARD).status_code == 302  # to the login page
    client.force_login(User.objects.create_user("visitor", password="pw"))
    assert client.get(DASHBOARD).status_code == 302
    client.force_login(staff(view=False))
    assert client.get(DASHBOARD).status_code == 403
    assert "/admin/django_jobs/dashboard/" not in client.get("/admin/").content.decode()
    client.force_login(staff())
    assert client.get(DASHBOARD).status_code == 200
    assert 'href="/admin/django_jobs/dashboard/"' in client.get("/admin/").content.decode()
    assert 'href="/admin/django_jobs/dashboard/"' in client.get(LIST).content.decode()


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_dashboard_queries_do_not_grow_with_queues_workers_or_schedules(client, nightly):
    client.force_login(staff("pause_queue", "run_schedule"))
    seed_queue_states()
    few = queries_for(client, DASHBOARD)
    for n in range(30):
        Job.objects.create(
            task_path="tests.tasks.add", queue_name=f"old-{n}", backend_name="default"
        )
        Worker.objects.create(
            id=f"w{n}", hostname="h", pid=n, backend_name="default", concurrency=1
        )
    with override_settings(
        JOBS={
            "SCHEDULES": {
                f"s{n}": {"task": "tests.tasks.noop", "cron": "@daily"} for n in range(10)
            }
        }
    ):
        sync_schedules()
    assert queries_for(client, DASHBOARD) == few
