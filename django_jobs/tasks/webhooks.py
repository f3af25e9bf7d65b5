"""``deliver_webhook``: POST a signed JSON event to a receiver, retrying like the pros do.

Signed per the Standard Webhooks spec: ``webhook-id`` (the job's id, so it is the
same on every retry and receivers can deduplicate), ``webhook-timestamp`` and
``webhook-signature`` = ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the
endpoint's ``whsec_`` secret. Secrets stay in settings: the job's arguments carry
only the secret's name. 2xx succeeds; 408, 429, 5xx, timeouts and connection
errors retry with backoff (``Retry-After`` honoured) for about a day; any other
answer, a redirect included, fails at once. Every attempt is recorded.
"""

import base64
import datetime
import email.utils
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.utils import timezone
from django.utils.module_loading import import_string

from django_jobs.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, TaskResult
from django_jobs.conf import get_settings
from django_jobs.exceptions import InvalidPayload, PermanentFailure, RetryLater
from django_jobs.jobtask import JobTask
from django_jobs.models import WebhookDelivery
from django_jobs.payload import bind_arguments
from django_jobs.tasks.ssrf import host_and_port, resolve_public

RETRY_STATUSES = {408, 429}
MAX_RETRY_AFTER = 3600.0
BODY_LIMIT = 2000
URL_LIMIT = 2000  # WebhookDelivery.endpoint_url
EVENT_TYPE_LIMIT = 200  # WebhookDelivery.event_type


def sign(secret: str, event_id: str, timestamp: str, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def secret_for(name: str, endpoint_url: str) -> str:
    config = get_settings().WEBHOOKS
    if config.get("SECRET_RESOLVER"):
        return import_string(config["SECRET_RESOLVER"])(name, endpoint_url)
    try:
        return config.get("SECRETS", {})[name]
    except KeyError:
        raise PermanentFailure(
            f"no webhook secret named {name!r} in JOBS['WEBHOOKS']['SECRETS']"
        ) from None


def check_arguments(
    endpoint_url: Any,
    event_type: Any,
    payload: Any = None,
    key_name: Any = "default",
    **extra: Any,
) -> None:
    """Refuse a delivery that could never succeed, before anything is stored.

    The limits are the columns each attempt is recorded in: a value too long for
    them would fail the job after the receiver got the event, and it would be sent again.
    """
    if not isinstance(endpoint_url, str) or len(endpoint_url) > URL_LIMIT:
        raise InvalidPayload(
            f"endpoint_url must be an http(s) URL of at most {URL_LIMIT} characters, "
            f"got: {endpoint_url!r:.200}"
        )
    try:
        host_and_port(endpoint_url)
    except ValueError as exc:
        raise InvalidPayload(str(exc)) from None
    if not isinstance(event_type, str) or not 0 < len(event_type) <= EVENT_TYPE_LIMIT:
        raise InvalidPayload(
            f"event_type must be a non-empty string of at most {EVENT_TYPE_LIMIT} characters, "
            f"got: {event_type!r:.200}"
        )
    if not isinstance(key_name, str):
        raise InvalidPayload(f"key_name must be the name of a secret, got: {key_name!r:.200}")
    config = get_settings().WEBHOOKS
    if not config.get("SECRET_RESOLVER") and key_name not in config.get("SECRETS", {}):
        raise InvalidPayload(f"no webhook secret named {key_name!r} in JOBS['WEBHOOKS']['SECRETS']")


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookTask(JobTask):
    """A JobTask that checks webhook arguments at enqueue."""

    def enqueue(self, *args: Any, **kwargs: Any) -> TaskResult:
        bind_arguments(self.func, args, kwargs, takes_context=self.takes_context)
        check_arguments(*args, **kwargs)
        return JobTask.enqueue(self, *args, **kwargs)


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000": UTC, says RFC 5322, though of unknown origin
            when = when.replace(tzinfo=datetime.UTC)
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _record(
    context: Any,
    event_id: str,
    event_type: str,
    url: str,
    started: float,
    response: httpx.Response | None = None,
    body: str = "",
    error: str = "",
) -> None:
    WebhookDelivery.objects.create(
        job_id=context.task_result.id,
        event_id=event_id,
        event_type=event_type,
        endpoint_url=url,
        attempt=context.attempt,
        status_code=response.status_code if response is not None else None,
        duration_ms=int((time.monotonic() - started) * 1000),
        response_body=_storable(body),
        error=_storable(error),
    )


def _storable(text: str) -> str:
    # The receiver chose these bytes; PostgreSQL refuses NUL in text.
    return text[:BODY_LIMIT].replace("\x00", "\ufffd")


def _read_start(response: httpx.Response, deadline: float) -> str:
    """At most BODY_LIMIT bytes of the answer, read before ``deadline``.

    The receiver decides how much it sends and how slowly: reading it all would
    let a huge or dribbling answer hold the worker's memory or thread.
    """
    body = b""
    try:
        for chunk in response.iter_raw():
            body += chunk
            if len(body) >= BODY_LIMIT or time.monotonic() > deadline:
                break
    except httpx.TransportError:
        pass  # the status is what counts: a 2xx was received, sending again would duplicate
    return body[:BODY_LIMIT].decode("utf-8", errors="replace")


def _post(endpoint_url: str, address: str, body: str, headers: dict, timeout: float) -> Any:
    """POST to the address the SSRF guard checked; return the response and its start."""
    url = httpx.URL(endpoint_url)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        request = client.build_request(
            "POST",
            url.copy_with(host=address),
            content=body,
            headers={**headers, "host": url.netloc.decode()},
            extensions={"sni_hostname": url.host},  # TLS still checks the real host name
        )
        response = client.send(request, stream=True)
        try:
            return response, _read_start(response, deadline)
        finally:
            response.close()


def _outcome(response: httpx.Response, text: str) -> dict[str, Any]:
    code = response.status_code
    if 200 <= code < 300:
        return {"status_code": code}
    if code in RETRY_STATUSES or code >= 500:
        raise RetryLater(delay=retry_after(response), message=f"receiver answered {code}")
    if 300 <= code < 400:
        raise PermanentFailure(f"receiver answered a redirect ({code}); redirects are not followed")
    raise PermanentFailure(f"receiver answered {code}: {text[:200]}")


def deliver_webhook(
    context: Any, endpoint_url: str, event_type: str, payload: Any, key_name: str = "default"
) -> dict[str, Any]:
    """Deliver one event; the job id is the event id, stable across retries."""
    config = get_settings().WEBHOOKS
    event_id = f"msg_{context.task_result.id}"
    address = resolve_public(endpoint_url, config.get("ALLOWED_NETWORKS", []))
    body = json.dumps(
        {"type": event_type, "timestamp": timezone.now().isoformat(), "data": payload},
        separators=(",", ":"),
    )
    timestamp = str(int(time.time()))
    headers = {
        "accept-encoding": "identity",  # the answer's start is recorded as it comes
        "content-type": "application/json",
        "user-agent": "django-jobs-webhooks",
        "webhook-id": event_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(secret_for(key_name, endpoint_url), event_id, timestamp, body),
    }
    started = time.monotonic()
    try:
        response, text = _post(endpoint_url, address, body, headers, config.get("TIMEOUT", 10.0))
    except httpx.HTTPError as exc:
        _record(context, event_id, event_type, endpoint_url, started, error=repr(exc))
        raise ConnectionError(f"webhook delivery failed: {exc!r}") from exc
    _record(context, event_id, event_type, endpoint_url, started, response, text)
    return {**_outcome(response, text), "event_id": event_id}


deliver_webhook = WebhookTask(  # type: ignore[assignment]
    func=deliver_webhook,
    priority=0,
    backend=DEFAULT_TASK_BACKEND_ALIAS,
    queue_name=DEFAULT_TASK_QUEUE_NAME,
    run_after=None,
    takes_context=True,
    max_attempts=28,  # with a 60 s backoff capped at an hour: about a day of retries
    backoff=60,
)
