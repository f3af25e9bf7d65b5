"""The Prometheus endpoint: exact values for a known state, who may read it, and its cost."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from django_jobs import api
from django_jobs.conf import validate
from django_jobs.models import Job, Worker
from django_jobs.store import JobStore
from django_jobs.testing import run_until_empty
from tests import tasks

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def url():
    return reverse("django_jobs:metrics")


@pytest.fixture
def token(settings):
    settings.JOBS = {**settings.JOBS, "METRICS_TOKEN": TOKEN}


def scrape(client, url, headers=BEARER):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family for family in families}


def values(family):
    """{label values: value} of every sample of a metric family, labels in sorted-key order."""
    return {tuple(v for _, v in sorted(s.labels.items())): s.value for s in family.samples}


def nonzero(family):
    return {labels: value for labels, value in values(family).items() if value}


WORKER = {"hostname": "h", "pid": 1, "backend_name": "default", "queues": [], "concurrency": 1}


def worker(worker_id, **fields):
    return Worker.objects.create(id=worker_id, **WORKER, **fields)


def seed():
    """A state in which every metric is nonzero somewhere."""
    tasks.add.enqueue(1, 1)
    tasks.always_fail.enqueue()
    run_until_empty(include_scheduled=True)  # one SUCCESSFUL, one FAILED after 3 attempts
    api.cancel(tasks.echo.enqueue("never").id)  # emails: CANCELLED

    waiting = tasks.add.enqueue(2, 2)
    Job.objects.filter(pk=waiting.id).update(run_after=timezone.now() - timedelta(minutes=10))
    tasks.add.enqueue(3, 3)
    running = tasks.add.enqueue(4, 4)
    tasks.add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(5, 5)
    tasks.echo.enqueue("paused")
    api.pause_queue("default", "emails")

    worker("w-live")
    worker("w-lost", heartbeat_at=timezone.now() - timedelta(minutes=5))
    worker("w-stopped", stopped_at=timezone.now())
    assert JobStore().claim_one(running.id, worker_id="w-live", lease_seconds=60)


def test_metrics_describe_the_seeded_state(client, url, token):
    seed()
    metrics = scrape(client, url)

    assert nonzero(metrics["django_jobs_jobs"]) == {
        ("default", "default", "ready"): 2,
        ("default", "default", "scheduled"): 1,
        ("default", "default", "running"): 1,
        ("default", "emails", "ready"): 1,
    }
    assert values(metrics["django_jobs_jobs"])[("default", "emails", "running")] == 0
    assert metrics["django_jobs_jobs"].type == "gauge"
    assert nonzero(metrics["django_jobs_jobs_finished"]) == {
        ("default", "default", "successful"): 1,
        ("default", "default", "failed"): 1,
        ("default", "emails", "cancelled"): 1,
    }
    assert metrics["django_jobs_jobs_finished"].type == "counter"
    assert {s.name for s in metrics["django_jobs_jobs_finished"].samples} == {
        "django_jobs_jobs_finished_total"
    }
    assert values(metrics["django_jobs_workers"]) == {("live",): 1, ("lost",): 1}

    oldest = values(metrics["django_jobs_oldest_due_job_age_seconds"])
    assert 600 <= oldest[("default", "default")] < 700
    assert oldest[("default", "emails")] < 60
    assert not {labels for labels, age in oldest.items() if age} - {
        ("default", "default"),
        ("default", "emails"),
    }
    assert nonzero(metrics["django_jobs_queue_paused"]) == {("default", "emails"): 1}


def test_an_empty_job_table_still_reports_workers_and_no_errors(client, url, token):
    metrics = scrape(client, url)
    assert values(metrics["django_jobs_workers"]) == {("live",): 0, ("lost",): 0}
    assert nonzero(metrics["django_jobs_jobs"]) == {}


def test_pruning_history_never_lowers_the_finished_counter(client, url, token):
    tasks.add.enqueue(1, 1)
    tasks.always_fail.using(queue_name="emails").enqueue("x")
    run_until_empty(include_scheduled=True)
    before = nonzero(scrape(client, url)["django_jobs_jobs_finished"])
    assert before == {("default", "default", "successful"): 1, ("default", "emails", "failed"): 1}
    Job.objects.update(finished_at=timezone.now() - timedelta(days=30))
    assert api.prune() == {"SUCCESSFUL": 1, "FAILED": 1, "CANCELLED": 0}
    assert not Job.objects.exists()
    assert nonzero(scrape(client, url)["django_jobs_jobs_finished"]) == before
    tasks.add.enqueue(2, 2)
    run_until_empty()
    after = nonzero(scrape(client, url)["django_jobs_jobs_finished"])
    assert after[("default", "default", "successful")] == 2


def test_the_url_is_mounted_under_jobs(url):
    assert url == "/jobs/metrics"


# -- who may read -----------------------------------------------------------------


def staff(*codenames, **fields):
    user = User.objects.create_user("op", password="pw", is_staff=True, **fields)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def test_staff_with_view_permission_may_read(client, url):
    client.force_login(staff("view_job"))
    assert "django_jobs_workers" in scrape(client, url, headers={})


def test_superuser_may_read(client, url):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    assert client.get(url).status_code == 200


def test_the_right_token_may_read_without_a_session(client, url, token):
    assert client.get(url, headers={"Authorization": f"bearer  {TOKEN} "}).status_code == 200


def test_anonymous_is_asked_to_authenticate(client, url, token):
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert b"django_jobs_" not in response.content


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: User.objects.create_user("visitor", password="pw"),
        lambda: staff(),
        lambda: staff("requeue_job", "cancel_job"),
    ],
    ids=["not-staff", "staff-without-permission", "staff-other-permissions"],
)
def test_logged_in_users_without_the_permission_are_forbidden(client, url, token, make_user):
    client.force_login(make_user())
    response = client.get(url)
    assert response.status_code == 403
    assert b"django_jobs_" not in response.content


def test_a_deactivated_staff_user_counts_as_logged_out(client, url, token):
    user = staff("view_job")
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(url).status_code == 401


def test_a_wrong_token_is_forbidden(client, url, token):
    for wrong in ("nope", TOKEN + "x", TOKEN[:-1], "é-non-ascii"):
        response = client.get(url, headers={"Authorization": f"Bearer {wrong}"})
        assert response.status_code == 403, wrong


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Token {TOKEN}", "Bearer\x00", "ü ü"],
)
def test_a_malformed_header_is_refused_without_an_error(client, url, token, header):
    response = client.get(url, headers={"Authorization": header})
    assert response.status_code == 401
    assert b"Traceback" not in response.content


def test_without_a_configured_token_no_bearer_token_is_accepted(client, url):
    for given in ("None", "null", "''", TOKEN):
        assert client.get(url, headers={"Authorization": f"Bearer {given}"}).status_code == 403


def test_a_logged_in_staff_user_is_not_locked_out_by_a_stale_token(client, url, token):
    client.force_login(staff("view_job"))
    assert client.get(url, headers={"Authorization": "Bearer old"}).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_and_head_are_allowed(client, url, token, method):
    response = getattr(client, method)(url, headers=BEARER)
    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD"]
    assert client.head(url, headers=BEARER).status_code == 200


def test_responses_are_not_cached(client, url, token):
    assert "no-store" in client.get(url, headers=BEARER)["Cache-Control"]
    assert "no-store" in client.get(url)["Cache-Control"]


def test_without_prometheus_client_the_answer_says_what_to_install(client, url, token, monkeypatch):
    monkeypatch.delitem(sys.modules, "django_jobs.metrics", raising=False)
    for name in [name for name in sys.modules if name.partition(".")[0] == "prometheus_client"]:
        monkeypatch.setitem(sys.modules, name, None)  # importing it now fails
    response = client.get(url, headers=BEARER)
    assert response.status_code == 501
    assert "pip install 'django-jobs[prometheus]'" in response.content.decode()
    assert client.get(url).status_code == 401  # credentials are still checked first


# -- cost -------------------------------------------------------------------------


def queries_per_scrape(client, url):
    with CaptureQueriesContext(connection) as queries:
        scrape(client, url)
    return len(queries)


def fill(settings, n):
    names = [f"q{i}" for i in range(n)]
    settings.TASKS = {
        **settings.TASKS,
        "default": {**settings.TASKS["default"], "QUEUES": names},
    }
    for i, name in enumerate(names):
        tasks.add.using(queue_name=name).enqueue(i, i)
        api.pause_queue("default", name)
        worker(f"w{n}-{i}")
    run_until_empty(max_jobs=n // 2)


def test_a_scrape_costs_the_same_queries_for_2_or_50_queues(client, url, token, settings):
    fill(settings, 2)
    few = queries_per_scrape(client, url)
    Job.objects.all().delete()
    fill(settings, 50)
    many = queries_per_scrape(client, url)
    assert few == many <= 7


def test_mounting_the_urls_does_not_import_prometheus_client():
    code = (
        "import sys, django; django.setup(); import django_jobs.urls; "
        "print(sorted(m for m in sys.modules if m.startswith('prometheus_client')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_bad_token_setting_is_reported_without_echoing_it():
    problems = validate({"METRICS_TOKEN": b"bytes-not-a-str-secret"})
    assert len(problems) == 1 and "METRICS_TOKEN" in problems[0]
    assert "bytes-not-a-str-secret" not in problems[0]
