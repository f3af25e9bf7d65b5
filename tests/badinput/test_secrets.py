"""Secrets stay in settings: never in a job row, a delivery record, a log line or an admin page.

Deliveries that succeed and that fail are both run, since an error path is
where a secret usually leaks (an exception message, a traceback, a repr).
"""

import logging

import pytest
from django.core.mail import EmailMessage

from django_jobs.models import Job, WebhookDelivery
from django_jobs.tasks.email import send_email, serialize_message
from django_jobs.tasks.webhooks import deliver_webhook
from django_jobs.testing import run_until_empty
from tests.admin.users import staff
from tests.servers.http import HTTPReceiver
from tests.servers.smtp import SMTPServer

pytestmark = pytest.mark.django_db

WEBHOOK_KEY = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SMTP_PASSWORD = "smtp-pa55word-never-shown"


def everything_recorded(client, caplog) -> str:
    """Every job and delivery row, every log line and every job's admin page, as one text."""
    rows = [str(list(Job.objects.values()))]
    rows.append(str(list(WebhookDelivery.objects.values())))
    client.force_login(staff())
    pages = [client.get(f"/admin/django_jobs/job/{job.pk}/change/") for job in Job.objects.all()]
    assert all(page.status_code == 200 for page in pages)
    return "\n".join([*rows, caplog.text, *(page.content.decode() for page in pages)])


def test_a_webhook_secret_is_in_no_row_log_or_page(settings, client, caplog):
    settings.JOBS = {
        **settings.JOBS,
        "WEBHOOKS": {
            "SECRETS": {"default": f"whsec_{WEBHOOK_KEY}"},
            "ALLOWED_NETWORKS": ["127.0.0.0/8"],
            "TIMEOUT": 1,
        },
    }
    with caplog.at_level(logging.DEBUG), HTTPReceiver() as receiver:
        receiver.respond(500, b"boom")
        receiver.respond(400, b"no")
        deliver_webhook.enqueue(receiver.url, "invoice.paid", {"invoice": 42})
        deliver_webhook.enqueue("http://10.0.0.1/", "invoice.paid", {})  # refused: internal
        run_until_empty(include_scheduled=True)
    assert len(receiver.requests) == 2
    recorded = everything_recorded(client, caplog)
    assert "receiver answered 400" in recorded and "internal address" in recorded
    assert WEBHOOK_KEY not in recorded


def test_smtp_credentials_are_in_no_row_log_or_page(settings, client, caplog):
    with SMTPServer() as server:
        settings.JOBS = {
            **settings.JOBS,
            "EMAIL": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": server.host,
                    "port": server.port,
                    "username": "mailer",
                    "password": SMTP_PASSWORD,  # the server offers no AUTH: login fails
                    "timeout": 5,
                },
            },
        }
        message = EmailMessage("Hi", "Body", "from@example.com", ["to@example.com"])
        with caplog.at_level(logging.DEBUG):
            result = send_email.enqueue(serialize_message(message))
            run_until_empty(include_scheduled=True)
    result.refresh()
    assert result.status == "FAILED" and "SMTP AUTH" in result.errors[-1].traceback
    recorded = everything_recorded(client, caplog)
    assert "to@example.com" in recorded and "mailer" not in recorded
    assert SMTP_PASSWORD not in recorded
