"""Malformed ``JOBS`` settings: validation answers with sentences, never an exception or a secret.

``manage.py check`` runs ``conf.validate`` and ``schedules.validate`` on whatever
the project wrote; a crash there would hide every other problem, and an echoed
webhook secret or token would end up in CI logs.
"""

import datetime
import math

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from hypothesis import given
from hypothesis import strategies as st

from django_jobs import schedules
from django_jobs.conf import HOLDS_SECRETS, SCHEMA, build, validate
from tests.badinput.strategies import examples, json_scalars

SECRET = "s3cr3t-never-shown"

values = st.recursive(
    json_scalars | st.floats() | st.binary(max_size=4) | st.sampled_from([math.nan, math.inf]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)

secret_leaves = st.one_of(
    st.just(SECRET),
    st.builds(lambda prefix: prefix + SECRET, st.text(max_size=4)),
    st.just(SECRET.encode()),
    st.just(f"whsec_{SECRET}"),
    st.just(f"10.0.0.0/{SECRET}"),
)
secret_keys = st.sampled_from(
    ["SECRETS", "SECRET_RESOLVER", "ALLOWED_NETWORKS", "TIMEOUT", "BACKEND", "OPTIONS", "PASSWORD"]
)
secret_values = st.recursive(
    secret_leaves | json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(secret_keys | st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)

numbers = st.integers() | st.floats() | st.sampled_from([math.nan, math.inf, -math.inf, 0, True])
jobs_settings = st.dictionaries(
    st.sampled_from(sorted(SCHEMA)) | st.text(max_size=12) | st.integers(),
    numbers | values,
    max_size=5,
)
webhooks = st.fixed_dictionaries(
    {},
    optional={
        "SECRETS": st.dictionaries(st.text(max_size=4), secret_values, max_size=2) | secret_values,
        "ALLOWED_NETWORKS": st.lists(secret_leaves | st.just("10.0.0.0/8"), max_size=2)
        | secret_values,
        "TIMEOUT": numbers | secret_values,
        "SECRET_RESOLVER": secret_values,
    },
)
email = st.fixed_dictionaries(
    {}, optional={"BACKEND": secret_values, "OPTIONS": secret_values, "PASSWORD": secret_values}
)


def assert_sentences(problems) -> None:
    assert isinstance(problems, list)
    assert all(isinstance(p, str) and p.startswith("JOBS") for p in problems), problems


@examples(200)
@given(raw=jobs_settings | values)
def test_validate_never_raises_and_answers_in_sentences(raw):
    assert_sentences(validate(raw))


@examples(200)
@given(raw=st.dictionaries(st.sampled_from(sorted(SCHEMA)), numbers | values, max_size=4))
def test_what_validate_accepts_builds_with_finite_numbers(raw):
    if validate(raw):
        with pytest.raises(ImproperlyConfigured):
            build(raw)
        return
    built = build(raw)
    for key in raw:
        value = getattr(built, key)
        if isinstance(value, float):
            assert math.isfinite(value), (key, value)


@examples(200)
@given(
    raw=st.dictionaries(st.text(max_size=12), values, max_size=2),
    secrets=st.fixed_dictionaries(
        {},
        optional={
            "WEBHOOKS": webhooks | secret_values,
            "EMAIL": email | secret_values,
            "METRICS_TOKEN": secret_values,
        },
    ),
)
def test_secret_holding_values_are_never_echoed(raw, secrets):
    assert set(secrets) <= HOLDS_SECRETS
    problems = validate({**raw, **secrets})
    assert_sentences(problems)
    assert not any(SECRET in p for p in problems), problems


@pytest.mark.parametrize(
    "raw",
    [
        [("METRICS_TOKEN", SECRET)],
        (("WEBHOOKS", {"SECRETS": {"default": SECRET}}),),
        f"METRICS_TOKEN={SECRET}",
    ],
)
def test_a_jobs_setting_that_is_not_a_dict_is_not_echoed(raw):
    (problem,) = validate(raw)
    assert "JOBS must be a dict" in problem and SECRET not in problem


@pytest.mark.parametrize(
    "key", ["BACKOFF", "BACKOFF_MAX", "LEASE_SECONDS", "POLL_INTERVAL", "GRACE_SECONDS"]
)
@pytest.mark.parametrize("number", [math.nan, math.inf])
def test_non_finite_numbers_are_refused(key, number):
    (problem,) = validate({key: number})
    assert f"JOBS['{key}'] must be a positive" in problem


@pytest.mark.parametrize("value", [-1, 1.5, True, "4", None])
def test_prefetch_must_be_a_whole_number(value):
    (problem,) = validate({"PREFETCH": value})
    assert problem == f"JOBS['PREFETCH'] must be a whole number of at least 0, got: {value!r}"


@pytest.mark.parametrize("networks", [[False], [True], [167772160], "10.0.0.0/8", ["10.0.0.0/33"]])
def test_allowed_networks_must_be_network_strings(networks):
    """``ipaddress.ip_network(False)`` is 0.0.0.0/32: a bool or number must not slip through."""
    [problem] = validate({"WEBHOOKS": {"ALLOWED_NETWORKS": networks}})
    assert problem == (
        "JOBS['WEBHOOKS']['ALLOWED_NETWORKS'] must be a list of networks like '10.0.0.0/8'"
    )


def test_prefetch_zero_turns_claiming_ahead_off():
    assert validate({"PREFETCH": 0}) == [] and build({"PREFETCH": 0}).PREFETCH == 0


@pytest.mark.django_db
def test_check_reports_malformed_settings_without_a_traceback(settings):
    settings.JOBS = {
        "BACKOFF": math.nan,
        "WEBHOOKS": {"ALLOWED_NETWORKS": [SECRET]},
        7: "x",
    }
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "django_jobs.E001" in str(error.value) and SECRET not in str(error.value)


# -- JOBS["SCHEDULES"] ------------------------------------------------------------------------

cron_fields = st.sampled_from(
    ["*", "*/5", "*/0", "0", "7", "31", "30", "29", "60", "1-5", "5-1", "L", "1W", "5#5", "?"]
    + ["2", "4,6", "MON", "JAN", "-1", "1/2", "*/61", "2-30/7", ""]
)
cron_like = st.one_of(
    st.lists(cron_fields, min_size=1, max_size=7).map(" ".join),
    st.sampled_from(["@daily", "@hourly", "@monthly", "@yearly", "@reboot", "@every 5m", "@"]),
    st.text(max_size=20),
)
NOW = datetime.datetime(2025, 3, 30, 1, 30, tzinfo=datetime.UTC)


def schedule(**entry):
    return {"nightly": {"task": "tests.tasks.noop", "cron": "@daily", **entry}}


@examples(200)
@given(cron=cron_like)
def test_any_cron_string_is_refused_with_a_sentence_or_ticks(cron):
    problems = schedules.validate(schedule(cron=cron))
    assert_sentences(problems)
    if not problems:
        spec = schedules.ScheduleSpec(name="nightly", task="t", cron=cron, timezone="UTC")
        assert spec.latest_tick(NOW) <= NOW < spec.next_tick(NOW)


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_a_cron_that_never_fires_is_refused(cron):
    (problem,) = schedules.validate(schedule(cron=cron))
    assert "never fires" in problem


@examples(100)
@given(zone=st.text(max_size=40) | st.sampled_from(["America", "Europe/", "a" * 300, "."]))
def test_any_time_zone_name_is_refused_with_a_sentence_or_ticks(zone):
    problems = schedules.validate(schedule(timezone=zone))
    assert_sentences(problems)
    if not problems:
        spec = schedules.ScheduleSpec(name="n", task="t", cron="@daily", timezone=zone)
        assert spec.next_tick(NOW) > NOW


@examples(200)
@given(
    raw=st.dictionaries(
        st.text(max_size=8) | st.sampled_from(sorted(schedules.DEFAULTS)),
        st.none() | values | st.dictionaries(st.sampled_from(sorted(schedules.KEYS)), values),
        max_size=3,
    )
)
def test_any_schedules_value_is_refused_with_sentences_never_an_error(raw):
    assert_sentences(schedules.validate(raw))
