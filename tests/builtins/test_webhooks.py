"""Webhooks against a real HTTP receiver on loopback, verified with the reference library."""

import pytest
from standardwebhooks.webhooks import Webhook

from django_jobs.exceptions import InvalidPayload
from django_jobs.models import Job, WebhookDelivery
from django_jobs.tasks.webhooks import deliver_webhook
from django_jobs.testing import run_until_empty
from tests.servers.http import HTTPReceiver

pytestmark = pytest.mark.django_db

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def webhooks(settings):
    settings.JOBS = {
        **settings.JOBS,
        "WEBHOOKS": {
            "SECRETS": {"default": SECRET},
            "ALLOWED_NETWORKS": ["127.0.0.0/8"],
            "TIMEOUT": 1,
        },
    }


@pytest.fixture
def receiver(webhooks):
    with HTTPReceiver() as server:
        yield server


def deliver(url, payload=None):
    result = deliver_webhook.enqueue(url, "invoice.paid", payload or {"invoice": 42})
    run_until_empty(include_scheduled=True)
    result.refresh()
    return result


def test_delivery_is_signed_per_standard_webhooks(receiver):
    result = deliver(receiver.url + "hooks")
    assert result.status == "SUCCESSFUL"
    (request,) = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    event = Webhook(SECRET).verify(request.body, headers)  # raises if the signature is wrong
    assert event["type"] == "invoice.paid" and event["data"] == {"invoice": 42}
    assert headers["webhook-id"] == f"msg_{result.id}" == result.return_value["event_id"]
    assert request.path == "/hooks"
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.status_code == 200 and delivery.attempt == 1


def test_server_errors_and_timeouts_retry_with_the_same_event_id(receiver):
    receiver.respond(500, b"boom")
    receiver.respond(200, delay=2)  # longer than the 1 s client timeout
    result = deliver(receiver.url)
    assert result.status == "SUCCESSFUL" and result.attempts == 3
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {f"msg_{result.id}"}
    attempts = list(
        WebhookDelivery.objects.order_by("attempt").values_list(
            "attempt", "status_code", "response_body"
        )
    )
    assert attempts[0] == (1, 500, "boom") and attempts[1][1] is None and attempts[2][1] == 200
    assert "Timeout" in WebhookDelivery.objects.get(attempt=2).error


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(receiver, status):
    receiver.respond(status, headers={"Retry-After": "120"})
    result = deliver_webhook.enqueue(receiver.url, "e", {})
    run_until_empty()
    job = Job.objects.get(pk=result.id)
    assert job.status == "READY"
    waited = (job.run_after - job.last_attempted_at).total_seconds()
    assert 119 <= waited <= 121


@pytest.mark.parametrize(("status", "why"), [(400, "answered 400"), (301, "redirect")])
def test_client_errors_and_redirects_fail_at_once(receiver, status, why):
    receiver.respond(status, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    result = deliver(receiver.url)
    assert result.status == "FAILED" and result.attempts == 1 and len(receiver.requests) == 1
    assert why in result.errors[0].traceback


def test_connection_refused_retries(webhooks):
    result = deliver_webhook.enqueue("http://127.0.0.1:9/", "e", {})
    run_until_empty()
    job = Job.objects.get(pk=result.id)
    assert job.status == "READY" and job.attempts == 1
    assert "ConnectError" in WebhookDelivery.objects.get().error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://localhost/",
        "http://0.0.0.0/",
        "http://192.168.1.1/",
    ],
)
def test_internal_addresses_are_refused_by_default(settings, url):
    settings.JOBS = {**settings.JOBS, "WEBHOOKS": {"SECRETS": {"default": SECRET}}}
    result = deliver(url)
    assert result.status == "FAILED" and result.attempts == 1
    assert "internal address" in result.errors[0].traceback
    assert not WebhookDelivery.objects.exists()  # refused before any connection


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ftp://example.com/", "e", {}), r"http\(s\) URL"),
        (("not a url", "e", {}), r"http\(s\) URL"),
        (("https://example.com/", "", {}), "event_type"),
        (("https://example.com/", "e", {"when": object()}), "JSON"),
        (("https://example.com/", "e", {}, "other"), "no webhook secret named 'other'"),
    ],
)
def test_bad_arguments_are_refused_at_enqueue(webhooks, args, message):
    with pytest.raises(InvalidPayload, match=message):
        deliver_webhook.enqueue(*args)
    assert not Job.objects.exists()


def test_secrets_are_never_in_job_arguments_or_check_messages(receiver, settings):
    result = deliver(receiver.url)
    assert SECRET not in str(Job.objects.get(pk=result.id).args)
    from django_jobs.conf import validate

    problems = validate({"WEBHOOKS": {"SECRETS": {"a": "not-a-whsec-secret"}}})
    assert problems and "not-a-whsec-secret" not in problems[0]
