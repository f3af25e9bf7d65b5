"""``send_email``: deliver one email through a real Django email backend, with retries.

The message travels as JSON (attachments base64-encoded). Which backend sends it:
``JOBS["EMAIL"]["BACKEND"]`` with ``OPTIONS`` (e.g. SMTP host and credentials kept in
settings, never in job arguments), else the project's default mailer. A transient
SMTP answer (4xx), a dropped connection or a timeout retries; a permanent one
(5xx, e.g. a rejected address) fails the job at once.
"""

import base64
import smtplib
from email.mime.base import MIMEBase
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives

from django_jobs.compat import build_mail_backend, default_mail_backend
from django_jobs.conf import get_settings
from django_jobs.exceptions import PermanentFailure
from django_jobs.jobtask import task


def serialize_message(message: EmailMessage) -> dict[str, Any]:
    """An EmailMessage (or EmailMultiAlternatives) as JSON-safe data."""
    attachments = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            raise ValueError("MIMEBase attachments cannot be queued; attach (name, content, type)")
        filename, content, mimetype = attachment
        raw = content.encode() if isinstance(content, str) else content
        attachments.append(
            {"filename": filename, "mimetype": mimetype, "content": base64.b64encode(raw).decode()}
        )
    return {
        "subject": message.subject,
        "body": message.body,
        "content_subtype": message.content_subtype,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [list(alt) for alt in getattr(message, "alternatives", [])],
        "attachments": attachments,
    }


def build_message(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data.get("subject", ""),
        body=data.get("body", ""),
        from_email=data.get("from_email"),
        to=data.get("to") or [],
        cc=data.get("cc") or [],
        bcc=data.get("bcc") or [],
        reply_to=data.get("reply_to") or [],
        headers=data.get("headers") or {},
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for content, mimetype in data.get("alternatives") or []:
        message.attach_alternative(content, mimetype)
    for item in data.get("attachments") or []:
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    return message


def _connection() -> Any:
    config = get_settings().EMAIL
    if config.get("BACKEND"):
        return build_mail_backend(config["BACKEND"], dict(config.get("OPTIONS") or {}))
    connection = default_mail_backend()
    if getattr(connection, "queues_email", False):  # JobsEmailBackend: it would loop
        raise PermanentFailure(
            "The default mailer is JobsEmailBackend: set JOBS['EMAIL']['BACKEND'] to the backend "
            "that really sends (e.g. django.core.mail.backends.smtp.EmailBackend)."
        )
    return connection


def _is_permanent(exc: smtplib.SMTPException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


@task(max_attempts=8, backoff=30)
def send_email(message: dict[str, Any]) -> int:
    """Send one serialized message; return the number of messages sent (1)."""
    email = build_message(message)
    connection = _connection()
    try:
        return connection.send_messages([email])
    except smtplib.SMTPException as exc:
        if _is_permanent(exc):
            raise PermanentFailure(f"the mail server refused the message: {exc}") from exc
        raise
