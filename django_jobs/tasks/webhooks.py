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
from urllib.parse import urlsplit

import httpx
from django.utils import timezone
from django.utils.module_loading import import_string

from django_jobs.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, TaskResult
from django_jobs.conf import get_settings
from django_jobs.exceptions import InvalidPayload, PermanentFailure, RetryLater
from django_jobs.jobtask import JobTask
from django_jobs.models import WebhookDelivery
from django_jobs.tasks.ssrf import resolve_public

RETRY_STATUSES = {408, 429}
MAX_RETRY_AFTER = 3600.0
BODY_LIMIT = 2000


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
    """Refuse a delivery that could never succeed, before anything is stored."""
    parts = urlsplit(endpoint_url) if isinstance(endpoint_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidPayload(
            f"endpoint_url must be an http(s) URL with a host, got: {endpoint_url!r}"
        )
    if not isinstance(event_type, str) or not event_type:
        raise InvalidPayload(f"event_type must be a non-empty string, got: {event_type!r}")
    config = get_settings().WEBHOOKS
    if not config.get("SECRET_RESOLVER") and key_name not in config.get("SECRETS", {}):
        raise InvalidPayload(f"no webhook secret named {key_name!r} in JOBS['WEBHOOKS']['SECRETS']")


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookTask(JobTask):
    """A JobTask that checks webhook arguments at enqueue."""

    def enqueue(self, *args: Any, **kwargs: Any) -> TaskResult:
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
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _record(
    context: Any,
    event_id: str,
    event_type: str,
    url: str,
    started: float,
    response: httpx.Response | None = None,
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
        response_body=response.text[:BODY_LIMIT] if response is not None else "",
        error=error[:BODY_LIMIT],
    )


def _outcome(response: httpx.Response) -> dict[str, Any]:
    code = response.status_code
    if 200 <= code < 300:
        return {"status_code": code}
    if code in RETRY_STATUSES or code >= 500:
        raise RetryLater(delay=retry_after(response), message=f"receiver answered {code}")
    if 300 <= code < 400:
        raise PermanentFailure(f"receiver answered a redirect ({code}); redirects are not followed")
    raise PermanentFailure(f"receiver answered {code}: {response.text[:200]}")


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
    url = httpx.URL(endpoint_url)
    headers = {
        "content-type": "application/json",
        "host": url.netloc.decode(),
        "user-agent": "django-jobs-webhooks",
        "webhook-id": event_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(secret_for(key_name, endpoint_url), event_id, timestamp, body),
    }
    started = time.monotonic()
    try:
        with httpx.Client(timeout=config.get("TIMEOUT", 10.0), follow_redirects=False) as client:
            request = client.build_request(
                "POST",
                url.copy_with(host=address),
                content=body,
                headers=headers,
                extensions={"sni_hostname": url.host},  # TLS still checks the real host name
            )
            response = client.send(request)
    except httpx.HTTPError as exc:
        _record(context, event_id, event_type, endpoint_url, started, error=repr(exc))
        raise ConnectionError(f"webhook delivery failed: {exc!r}") from exc
    _record(context, event_id, event_type, endpoint_url, started, response)
    return {**_outcome(response), "event_id": event_id}


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
