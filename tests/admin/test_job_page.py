"""Job pages and actions: escaped and redacted display, permissions, actions through the api."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.admin.users import staff

pytestmark = pytest.mark.django_db

LIST = "/admin/django_jobs/job/"


def act(client, action, *jobs):
    return client.post(LIST, {"action": action, "_selected_action": [str(j.id) for j in jobs]})


def failed_job():
    result = tasks.always_fail.enqueue("<script>alert(1)</script>")
    run_until_empty(include_scheduled=True)
    return Job.objects.get(pk=result.id)


def test_job_page_shows_escaped_arguments_and_every_traceback(client):
    job = failed_job()
    client.force_login(staff())
    page = client.get(f"{LIST}{job.pk}/change/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert page.count("Traceback (most recent call last)") == 3
    assert "Attempt 3 — builtins.ValueError" in page


def test_redaction_hook_hides_arguments(client, settings):
    settings.JOBS = {**settings.JOBS, "REDACT_ARGUMENTS": "tests.admin.test_job_page.redact"}
    job = Job.objects.get(pk=tasks.echo.enqueue(password="hunter2").id)
    client.force_login(staff())
    page = client.get(f"{LIST}{job.pk}/change/").content.decode()
    assert "hunter2" not in page and "[redacted]" in page


def redact(task_path, args, kwargs):
    return args, {key: "[redacted]" for key in kwargs}


def test_requeue_with_permission_runs_the_job_again(client):
    job = failed_job()
    client.force_login(staff("requeue_job"))
    assert act(client, "requeue", job).status_code == 302
    job.refresh_from_db()
    assert job.status == "READY" and job.max_attempts == 4
    assert LogEntry.objects.filter(object_id=str(job.pk)).exists()


def test_cancel_and_run_now(client):
    later = timezone.now() + timedelta(hours=1)
    scheduled = Job.objects.get(pk=tasks.add.using(run_after=later).enqueue(1, 2).id)
    other = Job.objects.get(pk=tasks.add.using(run_after=later).enqueue(3, 4).id)
    client.force_login(staff("cancel_job", "requeue_job"))
    act(client, "cancel", scheduled)
    act(client, "run_now", other)
    assert Job.objects.get(pk=scheduled.pk).status == "CANCELLED"
    assert Job.objects.get(pk=other.pk).run_after <= timezone.now()
    assert run_until_empty() == 1


def test_refused_transitions_are_reported_not_applied(client):
    job = Job.objects.get(pk=tasks.add.enqueue(1, 2).id)  # READY: cannot be requeued
    client.force_login(staff("requeue_job"))
    response = act(client, "requeue", job)
    messages = [m.message for m in response.wsgi_request._messages]
    assert any("only finished jobs can be requeued" in m for m in messages)
    assert Job.objects.get(pk=job.pk).status == "READY"


def test_view_only_staff_sees_no_actions_and_forged_posts_change_nothing(client):
    job = failed_job()
    client.force_login(staff())
    page = client.get(LIST).content.decode()
    assert "Requeue selected" not in page and "Cancel selected" not in page
    act(client, "requeue", job)
    assert Job.objects.get(pk=job.pk).status == "FAILED"


def test_non_staff_never_reach_job_pages(client):
    job = failed_job()
    assert client.get(LIST).status_code == 302
    client.force_login(User.objects.create_user("visitor", password="pw"))
    assert client.get(f"{LIST}{job.pk}/change/").status_code == 302
    act(client, "requeue", job)
    assert Job.objects.get(pk=job.pk).status == "FAILED"
