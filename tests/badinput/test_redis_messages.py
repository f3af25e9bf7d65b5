"""Garbage on Redis: refused before decoding, dropped with a log line, the next job runs.

Anyone who can write to Redis can push bytes into huey's queue. Messages are
signed JSON (see ``django_jobs/backends/redis.py``): what this project did not
sign is refused before it is decoded, and even a signed message can only name
the one task huey knows, which claims a stored job by id.
"""

import json
import logging
import pickle
import signal
from pathlib import Path

import pytest
from django.core import signing
from huey.registry import Message
from hypothesis import given
from hypothesis import strategies as st

from django_jobs.backends.redis import SALT, MessageSigner, SignedJSONSerializer, UntrustedMessage
from django_jobs.compat import task_backends
from django_jobs.models import Job
from django_jobs.testing import run_on_commit, run_until_empty
from tests import tasks
from tests.badinput.strategies import examples, json_values
from tests.worker.helpers import WorkerProcess, ledger_lines, wait_until

serializer = SignedJSONSerializer(Message)


class Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/django-jobs-pwned",))


def message(name="django_jobs.run", args=("not-a-job-id",), **fields) -> Message:
    return Message(id="forged", name=name, retries=0, retry_delay=0, args=args, kwargs={}, **fields)


def signed(data, key=None) -> bytes:
    return signing.Signer(key=key, salt=SALT).sign(json.dumps(data)).encode()


@pytest.mark.parametrize(
    "value", ["0193a1c2-7d4e-7f00-8a00-000000000001", 'a "quote", \\ and \x00']
)
def test_a_message_template_writes_what_serialize_writes(value):
    """Publishing fills a batch's messages into one template: each must be exactly the
    message ``serialize`` would sign, with the value escaped as JSON wherever it stands."""
    slot = "\x00slot\x00"
    fill = serializer.serializer_for(message(args=(slot,))._replace(id=slot), slot)
    assert fill(value) == serializer.serialize(message(args=(value,))._replace(id=value))
    read = serializer.deserialize(fill(value))
    assert (read.id, read.args) == (value, (value,))


def garbage(huey) -> dict[str, bytes]:
    """One of each kind of message a Redis writer could push."""
    (shim,) = huey._registry._registry.values()
    body = message()._asdict()
    return {
        "random bytes": b"\x00\xff\xfe garbage",
        "unsigned JSON": json.dumps(body).encode(),
        "JSON signed with another key": signed(body, key="not-this-projects-secret-key"),
        "pickle": pickle.dumps(Exploit()),
        "signed, not a message": signed(["a", "list"]),
        "signed, naming os.system": serializer.serialize(message("os.system", ("touch x",))),
        "signed, naming no job": huey.serialize_task(shim(args=("not-a-job-id",))),
    }


@examples(200)
@given(raw=st.binary(max_size=200))
def test_random_bytes_are_always_refused(raw):
    with pytest.raises(UntrustedMessage, match="refused a queue message"):
        serializer.deserialize(raw)


@examples(100)
@given(data=json_values, key=st.text(min_size=1, max_size=20))
def test_json_signed_with_any_other_key_is_refused(settings, data, key):
    if key == settings.SECRET_KEY:
        return
    with pytest.raises(UntrustedMessage):
        serializer.deserialize(signed(data, key=key))


@examples(150)
@given(
    data=json_values
    | st.fixed_dictionaries(
        {},
        optional={name: json_values | st.text(max_size=30) for name in (*Message._fields, "extra")},
    )
)
def test_signed_json_is_a_message_or_refused_never_an_error(data):
    try:
        decoded = serializer.deserialize(signed(data))
    except UntrustedMessage:
        return
    assert isinstance(decoded, Message)


@examples(100)
@given(value=st.text(max_size=200))
def test_messages_are_signed_as_djangos_signer_signs(value):
    """The key derived once must give Django's signature, or no worker could check it."""
    assert MessageSigner(salt=SALT).sign(value) == signing.Signer(salt=SALT).sign(value)


def test_a_message_signed_with_a_fallback_key_is_still_accepted(settings):
    """After rotating SECRET_KEY, messages already on Redis still run."""
    old = signed(message()._asdict(), key="the-previous-secret-key")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-secret-key", []
    with pytest.raises(UntrustedMessage):
        SignedJSONSerializer(Message).deserialize(old)
    settings.SECRET_KEY_FALLBACKS = ["the-previous-secret-key"]
    rotated = SignedJSONSerializer(Message)
    assert rotated.deserialize(old).id == "forged"
    fresh = rotated.serialize(message())
    assert signing.Signer(key="the-new-secret-key", salt=SALT).unsign(fresh.decode())


def test_a_refusal_cannot_forge_log_lines():
    forged = b"x:" + b"sig\nERROR fake log line"
    with pytest.raises(UntrustedMessage) as error:
        serializer.deserialize(forged)
    assert "\n" not in str(error.value)


@pytest.mark.django_db
def test_run_until_empty_drops_garbage_with_a_log_line_and_runs_the_next_job(huey_settings, caplog):
    huey = task_backends["default"].huey("default")
    messages = garbage(huey)
    for raw in messages.values():
        huey.storage.enqueue(raw, 0)
    result = tasks.add.enqueue(2, 3)
    with caplog.at_level(logging.WARNING, logger="django_jobs"):
        assert run_until_empty() == 1
    result.refresh()
    assert result.return_value == 5
    dropped = [r for r in caplog.records if "dropped a message" in r.getMessage()]
    assert len(dropped) == len(messages) - 1  # the one naming no job reaches the shim
    assert huey.storage.queue_size() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_huey_worker_drops_every_kind_of_garbage_and_goes_on(huey_settings, tmp_path):
    ledger = tmp_path / "ledger.txt"
    huey = task_backends["default"].huey("default")
    for raw in garbage(huey).values():
        huey.storage.enqueue(raw, 0)
    env = {"JOBS_TEST_BACKEND": "huey", "REDIS_URL": huey_settings.url}
    worker = WorkerProcess("--concurrency", "1", "--no-scheduler", ledger=ledger, env=env)
    try:
        wait_until(lambda: huey.storage.queue_size() == 0)
        tasks.record.enqueue(7)
        wait_until(lambda: ledger_lines(ledger) == ["7"])
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0, worker.output
    finally:
        if worker.process.poll() is None:
            worker.kill()
    log = Path(worker._log_path).read_text()
    dropped = [line for line in log.splitlines() if "dropped a message that cannot be read" in line]
    assert len(dropped) == len(garbage(huey)), log
    assert sum("refused a queue message" in line for line in dropped) == 5
    assert any("os.system not found in TaskRegistry" in line for line in dropped)
    assert any("not-a-job-id" in line for line in dropped)
    assert Job.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db
def test_a_replayed_message_runs_its_job_once(huey_settings, caplog):
    """A Redis writer cannot forge a message, but can copy a real one: the job still runs once."""
    with run_on_commit():  # publishes now: the test's transaction never commits
        result = tasks.add.enqueue(2, 3)
    huey = task_backends["default"].huey("default")
    (raw,) = huey.storage.enqueued_items()
    for _ in range(3):
        huey.storage.enqueue(raw, 0)
    with caplog.at_level(logging.INFO, logger="django_jobs"):
        assert run_until_empty() == 1
    result.refresh()
    assert result.return_value == 5 and result.attempts == 1
    ignored = [r for r in caplog.records if "not a due READY job" in r.getMessage()]
    assert len(ignored) == 3
