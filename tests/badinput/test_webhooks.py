"""Webhooks with bad input on both ends: what callers enqueue, and what receivers answer.

A URL that can never be called is refused at enqueue; an internal address is
refused before any connection; a receiver cannot make a worker read more than
the start of its answer, or wait on it past the timeout.
"""

import datetime
import email.utils
import itertools
import time
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_jobs.exceptions import InvalidPayload, PermanentFailure
from django_jobs.models import Job, WebhookDelivery
from django_jobs.tasks.ssrf import BlockedAddress, resolve_public
from django_jobs.tasks.webhooks import BODY_LIMIT, MAX_RETRY_AFTER, deliver_webhook, retry_after
from django_jobs.testing import run_until_empty
from tests.admin.users import staff
from tests.badinput.hostile_receiver import HostileReceiver, answer
from tests.badinput.strategies import examples, json_values

pytestmark = pytest.mark.django_db

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
JOB = "/admin/django_jobs/job/"


@pytest.fixture
def webhooks(settings):
    settings.JOBS = {**settings.JOBS, "WEBHOOKS": {"SECRETS": {"default": SECRET}, "TIMEOUT": 1}}


@pytest.fixture
def loopback_allowed(settings):
    settings.JOBS = {
        **settings.JOBS,
        "WEBHOOKS": {
            "SECRETS": {"default": SECRET},
            "ALLOWED_NETWORKS": ["127.0.0.0/8"],
            "TIMEOUT": 1,
        },
    }


def refused_or_stored(*args, **kwargs) -> Job | None:
    before = Job.objects.count()
    try:
        result = deliver_webhook.enqueue(*args, **kwargs)
    except InvalidPayload:
        assert Job.objects.count() == before
        return None
    return Job.objects.get(pk=result.id)


hosts = st.one_of(
    st.sampled_from(["example.com", "a" * 64 + ".com", "[::1", "exa mple.com", "", "ex\x00.com"]),
    st.from_regex(r"[a-z0-9.-]{1,70}", fullmatch=True),
    st.text(max_size=20),
)
ports = st.none() | st.sampled_from(["", ":0", ":80", ":65535", ":65536", ":99999", ":abc", ":-1"])
urls = st.one_of(
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port or ''}/{path}",
        st.sampled_from(["http", "https", "ftp", "javascript", "HTTP"]),
        hosts,
        ports,
        st.text(max_size=10),
    ),
    st.text(max_size=40),
    st.integers(),
    st.none(),
)


def callable_url(url: str) -> bool:
    """What the delivery needs of a URL, checked by the libraries that will use it."""
    parts = urlsplit(url)
    parts.port  # noqa: B018 - raises ValueError when out of range
    parts.hostname.encode("idna")
    httpx.URL(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@examples(150)
@given(url=urls)
def test_a_stored_webhook_url_is_one_the_delivery_can_call(webhooks, url):
    job = refused_or_stored(url, "invoice.paid", {})
    if job is not None:
        assert callable_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:99999/",
        "http://example.com:abc/",
        "http://[::1/",
        f"http://{'a' * 64}.com/",
        "https://example.com/" + "p" * 2000,
    ],
)
def test_urls_that_could_never_be_called_are_refused_at_enqueue(webhooks, url):
    assert refused_or_stored(url, "e", {}) is None


@examples(100)
@given(
    event_type=st.text(max_size=250) | st.integers() | st.none(),
    payload=json_values,
    key_name=st.sampled_from(["default", "other"]) | st.integers() | st.lists(st.text()),
)
def test_other_arguments_are_refused_with_invalid_payload_never_a_type_error(
    webhooks, event_type, payload, key_name
):
    job = refused_or_stored("https://example.com/hook", event_type, payload, key_name)
    if job is not None:
        assert isinstance(event_type, str) and 0 < len(event_type) <= 200
        assert key_name == "default"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("https://example.com/",), {}), (("https://example.com/", "e", {}), {"x": 1})],
)
def test_missing_or_extra_arguments_are_refused_like_any_task(webhooks, args, kwargs):
    with pytest.raises(InvalidPayload, match="Arguments don't match"):
        deliver_webhook.enqueue(*args, **kwargs)


@examples(200)
@given(address=st.ip_addresses())
def test_the_ssrf_guard_lets_only_globally_routable_addresses_through(address):
    host = f"[{address}]" if address.version == 6 else str(address)
    inner = address.ipv4_mapped if address.version == 6 and address.ipv4_mapped else address
    special = ("is_private", "is_loopback", "is_link_local", "is_multicast", "is_reserved")
    routable = inner.is_global and not any(getattr(inner, flag) for flag in special)
    if routable:
        assert resolve_public(f"https://{host}/hook", []) == str(address)
    else:
        with pytest.raises(BlockedAddress, match="internal address"):
            resolve_public(f"https://{host}/hook", [])


@pytest.mark.parametrize("address", ["100.64.0.1", "100.100.100.200", "[::ffff:100.100.100.200]"])
def test_shared_address_space_is_internal_too(address):
    """100.64.0.0/10 is where some clouds serve instance metadata (100.100.100.200)."""
    with pytest.raises(BlockedAddress):
        resolve_public(f"http://{address}/latest/meta-data", [])


@examples(30)
@given(
    address=st.one_of(
        st.ip_addresses(network="127.0.0.0/8"),
        st.ip_addresses(network="10.0.0.0/8"),
        st.ip_addresses(network="169.254.0.0/16"),
        st.ip_addresses(network="100.64.0.0/10"),
        st.ip_addresses(network="fc00::/7"),
    )
)
def test_internal_addresses_fail_once_without_a_connection(webhooks, address):
    host = f"[{address}]" if address.version == 6 else str(address)
    result = deliver_webhook.enqueue(f"http://{host}:8000/", "e", {})
    run_until_empty()
    result.refresh()
    assert result.status == "FAILED" and result.attempts == 1
    assert "internal address" in result.errors[0].traceback
    assert not WebhookDelivery.objects.exists()


def test_an_allowed_network_is_let_through(settings):
    assert resolve_public("http://10.1.2.3/", ["10.0.0.0/8"]) == "10.1.2.3"
    with pytest.raises(PermanentFailure):
        resolve_public("http://example.com:99999/", [])


# -- what a receiver answers -----------------------------------------------------------------

retry_after_values = st.one_of(
    st.text(max_size=30),
    st.floats().map(str),
    st.integers().map(str),
    st.datetimes(
        min_value=datetime.datetime(1900, 1, 1), timezones=st.none() | st.just(datetime.UTC)
    ).map(lambda moment: email.utils.format_datetime(moment)),
)


@examples(200)
@given(value=retry_after_values)
def test_any_retry_after_header_is_read_as_a_bounded_delay_or_ignored(value):
    printable = "".join(c for c in value if c.isprintable() and ord(c) < 128)
    response = httpx.Response(503, headers={"Retry-After": printable})
    delay = retry_after(response)
    assert delay is None or 0 <= delay <= MAX_RETRY_AFTER


def test_a_retry_after_date_in_minus_0000_form_counts_as_utc():
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=120)
    value = soon.strftime("%a, %d %b %Y %H:%M:%S -0000")
    delay = retry_after(httpx.Response(503, headers={"Retry-After": value}))
    assert 100 < delay <= 120


def deliver(url: str):
    result = deliver_webhook.enqueue(url, "invoice.paid", {"invoice": 42})
    run_until_empty()
    result.refresh()
    return result


def test_a_huge_answer_is_not_read_past_its_start(loopback_allowed):
    size = 64 * 1024 * 1024
    chunks = itertools.repeat(b"A" * 65536, size // 65536)
    with HostileReceiver(answer(200, length=size), chunks) as receiver:
        result = deliver(receiver.url)
    assert result.status == "SUCCESSFUL" and result.attempts == 1
    assert WebhookDelivery.objects.get().response_body == "A" * BODY_LIMIT
    assert receiver.sent < size / 4  # the worker hung up instead of reading 64 MB


def test_a_dribbled_answer_is_cut_off_at_the_timeout(loopback_allowed):
    chunks = itertools.repeat(b"x", 10_000)
    with HostileReceiver(answer(200, length=10_000), chunks, pause=0.05) as receiver:
        started = time.monotonic()
        result = deliver(receiver.url)
    assert time.monotonic() - started < 5  # the whole body would take 500 s
    assert result.status == "SUCCESSFUL" and result.attempts == 1


def test_an_answer_that_is_not_text_is_recorded_and_does_not_send_again(loopback_allowed):
    body = b"ok\x00\xff\xfe\x00" * 10
    with HostileReceiver(answer(200, length=len(body)), iter([body])) as receiver:
        result = deliver(receiver.url)
    assert result.status == "SUCCESSFUL" and result.attempts == 1 and receiver.requests == 1
    recorded = WebhookDelivery.objects.get().response_body
    assert recorded.startswith("ok\ufffd") and "\x00" not in recorded


def test_an_answer_that_breaks_off_after_a_2xx_status_counts_as_delivered(loopback_allowed):
    with HostileReceiver(answer(200, length=1000), iter([b"partial"])) as receiver:
        result = deliver(receiver.url)
    assert result.status == "SUCCESSFUL" and result.attempts == 1 and receiver.requests == 1


def test_a_receivers_answer_is_shown_escaped_in_the_admin(loopback_allowed, client):
    body = b"<script>alert('receiver')</script>"
    with HostileReceiver(answer(400, length=len(body)), iter([body])) as receiver:
        result = deliver(receiver.url)
    assert result.status == "FAILED"
    client.force_login(staff("view_webhookdelivery"))
    delivery = WebhookDelivery.objects.get()
    for url in (
        f"/admin/django_jobs/webhookdelivery/{delivery.pk}/change/",
        f"{JOB}{result.id}/change/",
    ):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
