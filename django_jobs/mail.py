"""``JobsEmailBackend``: make every ``send_mail()`` of the project a retried background job."""

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from django_jobs.tasks.email import send_email, serialize_message


class JobsEmailBackend(BaseEmailBackend):
    """Queues each message as a ``send_email`` job instead of sending it in the request.

    Use it as ``EMAIL_BACKEND`` (or a MAILERS backend on Django 6.1) and name the
    backend that really sends in ``JOBS["EMAIL"]["BACKEND"]``. The job is enqueued in
    the caller's transaction: a rolled-back request sends no email.
    """

    queues_email = True  # send_email refuses to "send" through this backend

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            send_email.enqueue(serialize_message(message))
        return len(email_messages)
