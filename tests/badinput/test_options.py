"""Per-call options (``.using(...)``): a wrong value is an ``InvalidTask`` with a sentence.

Validation happens when ``.using()`` builds the task copy, so the error comes
before ``enqueue()`` can store anything.
"""

import datetime
import math
import threading

import pytest
from django.test import override_settings
from hypothesis import assume, given
from hypothesis import strategies as st

from django_jobs.compat import InvalidTask
from django_jobs.jobtask import MAX_ATTEMPTS_LIMIT
from django_jobs.models import Job
from django_jobs.retry import RetryPolicy
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.badinput.strategies import examples, storable_text
from tests.settings import TEST_QUEUES

pytestmark = pytest.mark.django_db

anything = st.one_of(
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.binary(max_size=4),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.datetimes(),
    st.dates(),
)


def refused(**options) -> str:
    """The message of the InvalidTask raised for ``options``; asserts nothing was stored."""
    before = Job.objects.count()
    with pytest.raises(InvalidTask) as error:
        tasks.add.using(**options).enqueue(1, 2)
    assert Job.objects.count() == before
    return str(error.value)


def stored(**options) -> Job:
    return Job.objects.get(pk=tasks.add.using(**options).enqueue(1, 2).id)


def is_whole(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value == int(value)
    )


@examples(100)
@given(priority=anything)
def test_priority_is_a_whole_number_from_minus_100_to_100(priority):
    if is_whole(priority) and -100 <= priority <= 100:
        assert stored(priority=priority).priority == priority
    else:
        assert "priority must be a whole number between -100 and 100" in refused(priority=priority)


@examples(100)
@given(queue_name=anything | st.sampled_from(TEST_QUEUES))
def test_queue_name_must_be_a_configured_queue(queue_name):
    if queue_name in TEST_QUEUES:
        assert stored(queue_name=queue_name).queue_name == queue_name
    else:
        assert "queue" in refused(queue_name=queue_name).lower()


@examples(100)
@given(queue_name=anything | st.text(max_size=120))
def test_without_configured_queues_any_storable_name_goes(settings, queue_name):
    backend = {"BACKEND": "django_jobs.backends.DatabaseBackend", "QUEUES": []}
    with override_settings(TASKS={**settings.TASKS, "default": backend}):
        good = (
            isinstance(queue_name, str)
            and 0 < len(queue_name) <= 100
            and "\x00" not in queue_name
            and not any(0xD800 <= ord(c) <= 0xDFFF for c in queue_name)
        )
        if good:
            assert stored(queue_name=queue_name).queue_name == queue_name
        else:
            assert "queue_name must be a non-empty string" in refused(queue_name=queue_name)


@examples(60)
@given(run_after=st.text(max_size=10) | st.integers() | st.dates() | st.floats())
def test_run_after_must_be_a_datetime(run_after):
    assert "run_after must be an aware datetime" in refused(run_after=run_after)


@examples(60)
@given(run_after=st.datetimes())
def test_naive_run_after_is_refused(run_after):
    assert "aware" in refused(run_after=run_after)


@examples(60)
@given(
    run_after=st.datetimes(
        min_value=datetime.datetime(1900, 1, 1),
        max_value=datetime.datetime(9000, 1, 1),
        timezones=st.timezones(),
    )
)
def test_aware_run_after_in_the_past_runs_now_in_the_future_waits(run_after):
    result = tasks.add.using(run_after=run_after).enqueue(1, 2)
    job = Job.objects.get(pk=result.id)
    assert job.run_after == run_after.astimezone(datetime.UTC)  # an instant, whatever the zone
    run_until_empty()
    job.refresh_from_db()
    expected = "SUCCESSFUL" if run_after <= job.enqueued_at else "READY"
    assert job.status == expected


@pytest.mark.parametrize(
    ("moment", "offset"),
    [(datetime.datetime.min, 5), (datetime.datetime.max, -5)],
)
def test_run_after_beyond_the_utc_calendar_is_refused_not_crashed(moment, offset):
    zone = datetime.timezone(datetime.timedelta(hours=offset))
    assert "within the years 1 to 9999" in refused(run_after=moment.replace(tzinfo=zone))


@examples(60)
@given(name=st.text(min_size=1, max_size=12), value=anything)
def test_unknown_options_are_named(name, value):
    assume(name not in {"self", "priority", "queue_name", "run_after", "backend"})
    assume(name not in {"max_attempts", "backoff", "retry_on", "timeout", "unique_key"})
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        tasks.add.using(**{name: value})


@examples(100)
@given(unique_key=anything | st.text(max_size=300))
def test_unique_key_is_a_storable_string_up_to_255_characters(unique_key):
    good = (
        isinstance(unique_key, str)
        and 0 < len(unique_key) <= 255
        and "\x00" not in unique_key
        and not any(0xD800 <= ord(c) <= 0xDFFF for c in unique_key)
    )
    if good:
        assert stored(unique_key=unique_key).unique_key == unique_key
        Job.objects.all().delete()
    else:
        assert "unique_key must be" in refused(unique_key=unique_key)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": math.nan}, "timeout must be a positive, finite number"),
        ({"timeout": math.inf}, "timeout must be a positive, finite number"),
        ({"timeout": threading.TIMEOUT_MAX * 2}, "timeout must be a positive, finite number"),
        ({"backoff": math.nan}, "backoff must be a finite number"),
        ({"backoff": math.inf}, "backoff must be a finite number"),
        ({"max_attempts": 2**31}, "max_attempts must be a whole number from 1 to"),
        ({"unique_key": "a\x00b"}, "unique_key must be"),
        ({"queue_name": ["default"]}, "queue_name must be a non-empty string"),
        ({"priority": "5"}, "priority must be a whole number"),
        ({"priority": True}, "priority must be a whole number"),
    ],
)
def test_values_the_database_or_a_timer_cannot_hold_are_refused(options, message):
    assert message in refused(**options)


@examples(50)
@given(text=storable_text)
def test_storable_unique_keys_deduplicate(text):
    key = f"k:{text}"
    first = tasks.add.using(unique_key=key).enqueue(1, 1)
    assert tasks.add.using(unique_key=key).enqueue(2, 2).id == first.id


@examples(200)
@given(
    attempt=st.integers(min_value=1, max_value=MAX_ATTEMPTS_LIMIT),
    backoff=st.floats(min_value=0, max_value=1e9),
    cap=st.floats(min_value=0.001, max_value=1e9),
    jitter=st.floats(min_value=0, max_value=1),
)
def test_the_retry_delay_is_bounded_whatever_the_attempt_number(attempt, backoff, cap, jitter):
    policy = RetryPolicy(max_attempts=MAX_ATTEMPTS_LIMIT, backoff=backoff, cap=cap, jitter=jitter)
    assert 0 <= policy.delay_for(attempt) <= cap * (1 + jitter)
