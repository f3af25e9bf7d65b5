"""The admin in a real browser: an operator finds a failed job from the dashboard, reads its
traceback, requeues it and sees it succeed after a real worker ran; cancels a scheduled job;
pauses a queue; requeues a whole filter. A view-only user sees no buttons and is refused."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from django_jobs.models import Job, Queue, Worker
from django_jobs.scheduler import sync_schedules
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.admin.users import staff
from tests.browser.conftest import log_in, screenshot
from tests.worker.helpers import WorkerProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

OPERATOR_PERMISSIONS = ("requeue_job", "cancel_job", "pause_queue", "run_schedule")


def seed_history() -> Job:
    """A day of history across queues, workers and schedules; returns a failed job."""
    for n in range(30):
        tasks.add.using(queue_name=("default", "emails", "webhooks")[n % 3]).enqueue(n, n)
    for n in range(4):
        tasks.always_fail.using(queue_name="webhooks").enqueue(f"HTTP 503 from hook #{n}")
    failed = tasks.fail_until.using(queue_name="emails").enqueue(succeed_on=4)
    run_until_empty(include_scheduled=True)
    now = timezone.now()
    for hours_ago, job in enumerate(Job.objects.order_by("pk")):
        finished = now - timedelta(hours=hours_ago % 20, minutes=5)
        Job.objects.filter(pk=job.pk).update(finished_at=finished, last_attempted_at=finished)
    for n in range(6):
        tasks.add.using(queue_name="emails").enqueue(n, 1)
    tasks.add.using(queue_name="webhooks", run_after=now + timedelta(hours=2)).enqueue(9, 9)
    Worker.objects.create(
        id="web-1:4242", hostname="web-1", pid=4242, backend_name="default", concurrency=4
    )
    sync_schedules()
    return Job.objects.get(pk=failed.id)


def test_operator_finds_reads_requeues_and_cancels(page: Page, live_server, settings):
    # The seeded worker must still count as live when the dashboard renders, seconds later on a
    # loaded machine; the tests' 2 s lease would call it lost.
    settings.JOBS = {**settings.JOBS, "LEASE_SECONDS": 300.0}
    failed = seed_history()
    scheduled = Job.objects.get(queue_name="webhooks", status="READY")
    staff(*OPERATOR_PERMISSIONS)
    log_in(page, live_server.url, "op-" + "-".join(OPERATOR_PERMISSIONS))

    page.click("text=Dashboard")
    expect(page.locator("h1")).to_have_text("Jobs dashboard")
    emails = page.locator('tr[data-queue="default/emails"]')
    expect(emails.locator("td").nth(2)).to_have_text("6")  # due
    expect(page.locator("#workers h2")).to_have_text("Workers: 1 live, 0 lost")
    expect(page.locator("svg.jobs-chart g.bar")).to_have_count(24)
    screenshot(page, "dashboard")

    # The emails queue's failure count links to the failed list; the job's page has the tracebacks.
    page.goto(f"{live_server.url}/admin/django_jobs/job/?state=failed&queue_name=emails")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.goto(f"{live_server.url}/admin/django_jobs/job/?state=failed")
    expect(page.locator("#result_list tbody tr")).to_have_count(5)
    screenshot(page, "job-list")
    page.click(f"a[href*='{failed.pk}']")
    errors = page.locator(".field-errors_display")
    expect(errors).to_contain_text("Traceback (most recent call last)")
    expect(errors).to_contain_text("builtins.ConnectionError: attempt 3 fails")
    screenshot(page, "job-page")

    page.click("button.job-action-requeue")
    expect(page.locator("ul.messagelist")).to_contain_text("Requeued: 1.")
    assert WorkerProcess("--burst").wait() == 0
    page.reload()
    expect(page.locator(".field-status")).to_contain_text("Successful")
    expect(page.locator(".field-result")).to_contain_text("4")

    page.goto(f"{live_server.url}/admin/django_jobs/job/{scheduled.pk}/change/")
    page.click("button.job-action-cancel")
    expect(page.locator(".field-status")).to_contain_text("Cancelled")


def test_operator_pauses_a_queue_and_requeues_a_whole_filter(page: Page, live_server):
    seed_history()
    staff(*OPERATOR_PERMISSIONS)
    log_in(page, live_server.url, "op-" + "-".join(OPERATOR_PERMISSIONS))
    page.goto(f"{live_server.url}/admin/django_jobs/dashboard/")
    page.locator('tr[data-queue="default/emails"] button', has_text="Pause").click()
    expect(page.locator('tr[data-queue="default/emails"]')).to_contain_text("emails (paused)")
    assert Queue.objects.get(name="emails").paused

    page.goto(f"{live_server.url}/admin/django_jobs/job/?state=failed&queue_name=webhooks")
    page.click("a.bulk-requeue-failed")
    expect(page.locator("#bulk-count")).to_contain_text("4 jobs")
    screenshot(page, "bulk-confirm")
    page.click("input[value='Yes, requeue 4 jobs']")
    expect(page.locator("ul.messagelist")).to_contain_text("Requeued: 4.")
    assert Job.objects.filter(queue_name="webhooks", status="READY", attempts=3).count() == 4


def test_view_only_staff_sees_no_buttons_and_forged_posts_are_refused(page: Page, live_server):
    failed = seed_history()
    staff()
    log_in(page, live_server.url, "op-viewer")
    page.goto(f"{live_server.url}/admin/django_jobs/dashboard/")
    expect(page.locator("#queues")).to_be_visible()
    expect(page.locator("button", has_text=re.compile("Pause|Run now"))).to_have_count(0)
    page.goto(f"{live_server.url}/admin/django_jobs/job/{failed.pk}/change/")
    expect(page.locator(".field-errors_display")).to_contain_text("Traceback")
    expect(page.locator("button[class*=job-action]")).to_have_count(0)

    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token, "Referer": live_server.url + "/admin/"}
    forged = page.request.post(
        f"{live_server.url}/admin/django_jobs/job/{failed.pk}/act/requeue/", headers=headers
    )
    assert forged.status == 403 and "CSRF" not in forged.text()
    bulk = page.request.post(
        f"{live_server.url}/admin/django_jobs/job/bulk/requeue-failed/", headers=headers
    )
    assert bulk.status == 403
    assert Job.objects.get(pk=failed.pk).status == "FAILED"
