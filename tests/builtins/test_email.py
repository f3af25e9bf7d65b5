"""Email through a real SMTP server (aiosmtpd) on loopback."""

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from django.test import override_settings

from django_jobs.models import Job
from django_jobs.tasks.email import send_email, serialize_message
from django_jobs.testing import assert_enqueued, run_until_empty
from tests.servers.smtp import SMTPServer

pytestmark = pytest.mark.django_db

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        settings.JOBS = {
            **settings.JOBS,
            "EMAIL": {
                "BACKEND": SMTP,
                "OPTIONS": {"host": server.host, "port": server.port, "timeout": 5},
            },
        }
        yield server


def rich_message():
    message = EmailMultiAlternatives(
        subject="Your invoice",
        body="Plain text body",
        from_email="billing@example.com",
        to=["ann@example.com"],
        cc=["cc@example.com"],
        bcc=["audit@example.com"],
        reply_to=["help@example.com"],
        headers={"X-Invoice": "42"},
    )
    message.attach_alternative("<p>HTML <b>body</b></p>", "text/html")
    message.attach("invoice.pdf", b"%PDF-1.4 \x00\xff bytes", "application/pdf")
    return message


def test_every_part_of_a_message_is_delivered(smtp):
    result = send_email.enqueue(serialize_message(rich_message()))
    assert run_until_empty() == 1
    (received,) = smtp.wait_for_messages(1)
    message = received.message
    assert sorted(received.rcpt_tos) == ["ann@example.com", "audit@example.com", "cc@example.com"]
    assert message["Subject"] == "Your invoice" and message["Reply-To"] == "help@example.com"
    assert message["Cc"] == "cc@example.com" and "Bcc" not in message
    assert message["X-Invoice"] == "42"
    assert message.get_body(("plain",)).get_content().strip() == "Plain text body"
    assert "<b>body</b>" in message.get_body(("html",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content() == b"%PDF-1.4 \x00\xff bytes"
    result.refresh()
    assert result.status == "SUCCESSFUL"


def test_transient_failure_retries_then_delivers(smtp):
    smtp.fail_next(451, "4.3.0 greylisted", times=2)
    result = send_email.enqueue(
        serialize_message(EmailMessage("Hi", "x", "a@example.com", ["b@example.com"]))
    )
    run_until_empty(include_scheduled=True)
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.attempts == 3
    assert len(smtp.wait_for_messages(1)) == 1


def test_rejected_address_fails_without_retry(smtp):
    smtp.reject_recipient("nobody@example.com", 550)
    result = send_email.enqueue(
        serialize_message(EmailMessage("Hi", "x", "a@example.com", ["nobody@example.com"]))
    )
    run_until_empty(include_scheduled=True)
    result.refresh()
    assert result.status == "FAILED" and result.attempts == 1
    assert "refused" in result.errors[0].traceback and not smtp.received


def test_unreachable_server_retries(settings):
    settings.JOBS = {
        **settings.JOBS,
        "EMAIL": {"BACKEND": SMTP, "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1}},
    }
    result = send_email.enqueue(serialize_message(EmailMessage("Hi", "x", "a@x.com", ["b@x.com"])))
    run_until_empty()
    assert Job.objects.get(pk=result.id).status == "READY"  # waiting to retry


def jobs_email_backend_as_default(settings):
    """JobsEmailBackend as the project's mailer: MAILERS on Django 6.1, EMAIL_BACKEND on 6.0."""
    backend = "django_jobs.mail.JobsEmailBackend"
    if hasattr(settings, "MAILERS"):
        return override_settings(MAILERS={"default": {"BACKEND": backend}})
    return override_settings(EMAIL_BACKEND=backend)


def test_send_mail_through_jobs_email_backend(smtp, settings):
    with jobs_email_backend_as_default(settings):
        assert (
            send_mail(
                "Welcome",
                "Hello!",
                "app@example.com",
                ["new@example.com"],
                html_message="<h1>Hello!</h1>",
            )
            == 1
        )
        rich_message().send()
    assert not smtp.received  # nothing sent inside the request
    assert_enqueued(send_email, count=2)
    assert run_until_empty() == 2
    messages = {r.message["Subject"]: r.message for r in smtp.wait_for_messages(2)}
    assert "<h1>Hello!</h1>" in messages["Welcome"].get_body(("html",)).get_content()
    assert list(messages["Your invoice"].iter_attachments())[0].get_filename() == "invoice.pdf"


def test_jobs_email_backend_as_the_real_backend_is_refused(settings):
    with jobs_email_backend_as_default(settings):
        result = send_email.enqueue(
            serialize_message(EmailMessage("a", "b", "c@x.com", ["d@x.com"]))
        )
        run_until_empty()
    result.refresh()
    assert result.status == "FAILED" and "JOBS['EMAIL']['BACKEND']" in result.errors[0].traceback


def test_oversized_attachment_is_refused_at_enqueue(settings):
    from django_jobs.exceptions import InvalidPayload

    settings.JOBS = {**settings.JOBS, "MAX_PAYLOAD_BYTES": 10_000}
    message = EmailMessage("a", "b", "c@x.com", ["d@x.com"])
    message.attach("big.bin", b"x" * 20_000, "application/octet-stream")
    with pytest.raises(InvalidPayload, match="over the limit"):
        send_email.enqueue(serialize_message(message))
    assert not Job.objects.exists()
