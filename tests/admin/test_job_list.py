"""The job list: columns, filters, search, a paginator that never counts the whole table,
whole-filter bulk actions behind a confirmation page, and a query count that does not grow."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_jobs.admin import pagination
from django_jobs.models import Job
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.admin.users import staff

pytestmark = pytest.mark.django_db

LIST = "/admin/django_jobs/job/"


def shown_ids(client, query=""):
    page = client.get(f"{LIST}{query}").content.decode()
    return set(re.findall(r'href="/admin/django_jobs/job/([0-9a-f-]{36})/change/', page))


def job(result):
    return Job.objects.get(pk=result.id)


def fail(n, queue="default"):
    results = [tasks.always_fail.using(queue_name=queue).enqueue(f"#{i}") for i in range(n)]
    run_until_empty(include_scheduled=True)
    return [job(r) for r in results]


def test_columns(client):
    done = job(tasks.add.using(queue_name="emails", priority=5).enqueue(1, 2))
    run_until_empty()
    client.force_login(staff())
    page = client.get(LIST).content.decode()
    row = re.search(rf"<tr>.*?{done.pk}.*?</tr>", page, re.S).group(0)
    for text in ("Successful", ">add<", "emails", ">5<", "1/3", " s<", "testing-"):
        assert text in row, text


def test_filters_split_due_from_scheduled_and_narrow_by_queue_task_backend(client):
    due = job(tasks.add.enqueue(1, 2))
    later = job(tasks.add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1, 2))
    emails = job(tasks.echo.using(queue_name="emails").enqueue("x"))
    other_backend = job(tasks.add.using(backend="immediate").enqueue(1, 1))
    client.force_login(staff())
    assert shown_ids(client, "?state=due") == {str(due.pk), str(emails.pk)}
    assert shown_ids(client, "?state=scheduled") == {str(later.pk)}
    assert shown_ids(client, "?queue_name=emails") == {str(emails.pk)}
    assert shown_ids(client, "?task_path=tests.tasks.echo") == {str(emails.pk)}
    assert shown_ids(client, "?backend_name=immediate") == {str(other_backend.pk)}
    assert shown_ids(client, "?state=successful&finished_within=1h") == {str(other_backend.pk)}
    assert len(shown_ids(client, "?enqueued_at__gte=2000-01-01T00:00:00%2B00:00")) == 4


def test_search_by_id_task_path_and_unique_key(client):
    keyed = job(tasks.add.using(unique_key="invoice:42").enqueue(1, 2))
    plain = job(tasks.echo.enqueue())
    client.force_login(staff())
    assert shown_ids(client, f"?q={plain.pk}") == {str(plain.pk)}
    assert shown_ids(client, "?q=invoice:42") == {str(keyed.pk)}
    assert shown_ids(client, "?q=tests.tasks.echo") == {str(plain.pk)}


def test_nonsense_filters_are_refused_not_crashed(client):
    client.force_login(staff())
    for query in ("?state=exploded", "?finished_within=forever", "?queue_name=%00", "?q=%00"):
        assert client.get(f"{LIST}{query}").status_code == 200
    assert client.get(f"{LIST}?enqueued_at__gte=not-a-date").status_code in (200, 302)
    assert client.get(f"{LIST}?no_such_field=1").status_code == 302  # the admin's ?e=1


def test_the_count_stops_at_its_limit(client, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 5)
    for n in range(7):
        tasks.add.enqueue(n, n)
    client.force_login(staff())
    page = client.get(LIST).content.decode()
    assert "more than 5 jobs" in page
    with CaptureQueriesContext(connection) as captured:
        client.get(LIST)
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in sql for sql in counts), counts


def list_queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST).status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_the_rows_shown(client):
    client.force_login(staff("requeue_job", "cancel_job"))
    fail(2)
    few = list_queries(client)
    fail(40, queue="emails")
    for n in range(40):
        tasks.add.using(queue_name="high").enqueue(n, n)
    assert list_queries(client) == few


# -- bulk actions over the whole current filter


def test_bulk_requeue_confirms_the_count_then_requeues_only_the_filtered_failures(client):
    mine = fail(3, queue="emails")
    others = fail(2, queue="default")
    client.force_login(staff("requeue_job"))
    listing = client.get(f"{LIST}?queue_name=emails").content.decode()
    bulk_url = html.unescape(
        re.search(r'href="([^"]*bulk/requeue-failed/[^"]*)"', listing).group(1)
    )
    confirm = client.get(bulk_url).content.decode()
    assert "<strong>3</strong> jobs" in confirm and "Yes, requeue 3 jobs" in confirm
    assert all(Job.objects.get(pk=j.pk).status == "FAILED" for j in mine)  # GET changes nothing

    response = client.post(bulk_url)
    assert response.status_code == 302 and "queue_name=emails" in response["Location"]
    assert {Job.objects.get(pk=j.pk).status for j in mine} == {"READY"}
    assert {Job.objects.get(pk=j.pk).status for j in others} == {"FAILED"}
    entries = LogEntry.objects.filter(change_message="Requeued from the admin")
    assert sorted(e.object_id for e in entries) == sorted(str(j.pk) for j in mine)


def test_bulk_cancel_respects_the_limit_oldest_first(client, settings):
    settings.JOBS = {**settings.JOBS, "BULK_ACTION_LIMIT": 2}
    ready = [job(tasks.add.enqueue(n, n)) for n in range(3)]
    client.force_login(staff("cancel_job"))
    confirm = client.get(f"{LIST}bulk/cancel-ready/").content.decode()
    assert "More than 2 jobs match" in confirm and "Yes, cancel 2 jobs" in confirm
    client.post(f"{LIST}bulk/cancel-ready/")
    assert [Job.objects.get(pk=j.pk).status for j in ready] == ["CANCELLED", "CANCELLED", "READY"]


def test_bulk_with_nothing_to_do_offers_no_button(client):
    tasks.add.enqueue(1, 2)
    client.force_login(staff("requeue_job"))
    confirm = client.get(f"{LIST}bulk/requeue-failed/").content.decode()
    assert "No job of the current filter" in confirm and 'value="Yes,' not in confirm


def test_bulk_needs_permission_a_known_operation_and_a_valid_filter(client):
    failed = fail(1)[0]
    client.force_login(staff())
    assert "bulk/requeue-failed" not in client.get(LIST).content.decode()
    assert client.get(f"{LIST}bulk/requeue-failed/").status_code == 403
    assert client.post(f"{LIST}bulk/requeue-failed/").status_code == 403
    client.force_login(staff("requeue_job"))
    assert client.get(f"{LIST}bulk/delete-everything/").status_code == 404
    response = client.post(f"{LIST}bulk/requeue-failed/?no_such_field=1", follow=True)
    assert "That filter is not valid." in response.content.decode()
    assert Job.objects.get(pk=failed.pk).status == "FAILED"


# -- the job page's own buttons


def test_job_page_buttons_follow_status_and_permission(client):
    failed = fail(1)[0]
    later = job(tasks.add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1, 2))
    client.force_login(staff())
    assert "job-action-" not in client.get(f"{LIST}{failed.pk}/change/").content.decode()
    assert client.post(f"{LIST}{failed.pk}/act/requeue/").status_code == 403

    client.force_login(staff("requeue_job", "cancel_job"))
    page = client.get(f"{LIST}{failed.pk}/change/").content.decode()
    assert "job-action-requeue" in page and "job-action-cancel" not in page
    page = client.get(f"{LIST}{later.pk}/change/").content.decode()
    assert "job-action-cancel" in page and "job-action-run_now" in page
    assert "job-action-requeue" not in page

    assert client.get(f"{LIST}{failed.pk}/act/requeue/").status_code == 405
    assert client.post(f"{LIST}{failed.pk}/act/explode/").status_code == 404
    assert (
        client.post(f"{LIST}00000000-0000-0000-0000-000000000000/act/requeue/").status_code == 404
    )
    assert client.post(f"{LIST}{failed.pk}/act/requeue/").status_code == 302
    assert Job.objects.get(pk=failed.pk).status == "READY"
    assert run_until_empty(include_scheduled=True) >= 1


def test_job_page_links_to_the_tasks_other_jobs(client):
    failed = fail(2)
    client.force_login(staff())
    page = client.get(f"{LIST}{failed[0].pk}/change/").content.decode()
    link = html.unescape(re.search(r'<a href="([^"]+)">failed</a>', page).group(1))
    assert shown_ids(client, link.removeprefix(LIST)) == {str(j.pk) for j in failed}


def test_job_page_requeue_works_in_every_mode(client, mode):
    result = tasks.fail_until.enqueue(succeed_on=4)
    run_until_empty(include_scheduled=True)
    failed = job(result)
    assert failed.status == "FAILED"
    client.force_login(staff("requeue_job"))
    assert client.post(f"{LIST}{failed.pk}/act/requeue/").status_code == 302
    run_until_empty(include_scheduled=True)
    done = job(result)
    assert (done.status, done.return_value, done.attempts) == ("SUCCESSFUL", 4, 4)


def test_search_takes_a_task_name_and_never_a_substring(client):
    plain = job(tasks.echo.enqueue())
    client.force_login(staff())
    assert shown_ids(client, "?q=echo") == {str(plain.pk)}
    assert shown_ids(client, "?q=ech") == set()
    assert shown_ids(client, "?q=not-a-uuid-nor-a-task") == set()
    with CaptureQueriesContext(connection) as captured:
        client.get(f"{LIST}?q=echo")
    assert not [q["sql"] for q in captured if "LIKE" in q["sql"].upper()]


def test_job_page_cancel_and_run_now_work_in_every_mode(client, mode):
    later = timezone.now() + timedelta(hours=1)
    cancelled = tasks.add.using(run_after=later).enqueue(1, 2)
    hurried = tasks.add.using(run_after=later).enqueue(3, 4)
    client.force_login(staff("requeue_job", "cancel_job"))
    assert client.post(f"{LIST}{cancelled.id}/act/cancel/").status_code == 302
    if mode != "immediate":  # immediate mode ran both at enqueue: nothing is waiting
        assert client.post(f"{LIST}{hurried.id}/act/run_now/").status_code == 302
        assert run_until_empty() == 1
        assert job(cancelled).status == "CANCELLED"
    assert job(hurried).status == "SUCCESSFUL" and job(hurried).return_value == 7
