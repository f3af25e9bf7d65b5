"""Job arguments: what JSON cannot carry is refused at enqueue, what it can comes back unchanged.

Every mode writes a ``Job`` row, so "stores nothing" means no row, whatever the mode.
"""

import json

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from django_jobs.exceptions import InvalidPayload
from django_jobs.models import Job
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.badinput.strategies import (
    EXAMPLE_HOSTILE,
    examples,
    hostile_values,
    json_values,
    nested,
    storable_text,
)
from tests.conftest import backend_settings, is_postgres

pytestmark = pytest.mark.django_db


def refused(*args, **kwargs) -> InvalidPayload:
    before = Job.objects.count()
    with pytest.raises(InvalidPayload) as error:
        tasks.echo.enqueue(*args, **kwargs)
    assert Job.objects.count() == before
    return error.value


def same(got, sent) -> bool:
    """Equal, and of the same JSON kinds all the way down (True is not 1, 1.0 is not 1).

    One exception, PostgreSQL's: jsonb keeps numbers as decimals and prints 1e16 as
    10000000000000000, so a float of 1e16 or more comes back as the int of equal value.
    """
    if isinstance(got, dict) and isinstance(sent, dict):
        return got.keys() == sent.keys() and all(same(got[k], sent[k]) for k in got)
    if isinstance(got, list) and isinstance(sent, list):
        return len(got) == len(sent) and all(map(same, got, sent))
    if is_postgres() and type(sent) is float and abs(sent) >= 1e16 and type(got) is int:
        return float(got) == sent
    return type(got) is type(sent) and got == sent


@pytest.mark.parametrize("name", sorted(EXAMPLE_HOSTILE))
def test_each_kind_of_hostile_argument_is_refused_in_every_mode(mode, name):
    value = EXAMPLE_HOSTILE[name]
    for error in (refused(value), refused(key=value), refused([1, {"x": value}])):
        assert "JSON" in str(error) or "limit" in str(error)


@examples(60)
@given(value=hostile_values, as_keyword=st.booleans())
def test_hostile_values_anywhere_are_refused_in_every_mode(mode, value, as_keyword):
    error = refused(key=value) if as_keyword else refused(value)
    assert "must be JSON-serialisable" in str(error)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({1: "a", "1": "b"}, "dict keys must be strings"),
        ({None: 1}, "dict keys must be strings"),
        ("\ud800", "lone surrogate"),
        ({"\udfff": 1}, "lone surrogate"),
        ("a\x00b", "NUL"),
        (nested(100), "nested more than 100 levels"),
        (nested(100_000), "nested more than 100 levels"),
    ],
)
def test_what_json_would_silently_change_is_named(value, reason):
    assert reason in str(refused(value))


def test_a_structure_containing_itself_is_refused():
    loop: list = []
    loop.append(loop)
    assert "contains itself" in str(refused(loop))


def test_nesting_up_to_the_limit_is_accepted():
    result = tasks.echo.enqueue(nested(99))
    assert result.args == [nested(99)]


@examples(40)
@given(size=st.integers(min_value=1, max_value=400), value=json_values)
def test_the_size_limit_is_exact_in_every_mode(mode, size, value):
    # Nested inside the mode's override: the ``settings`` fixture would restore out of order.
    with override_settings(JOBS={**django_settings.JOBS, "MAX_PAYLOAD_BYTES": size}):
        encoded = len(json.dumps([value], separators=(",", ":"))) + len("{}")
        if encoded > size:
            assert f"over the limit of {size}" in str(refused(value))
        else:
            tasks.echo.enqueue(value)


@examples(60)
@given(
    args=st.lists(json_values, max_size=3),
    kwargs=st.dictionaries(storable_text, json_values, max_size=3),
)
@pytest.mark.parametrize("queued_mode", ["immediate", "database"])
def test_json_values_round_trip_exactly(settings, queued_mode, args, kwargs):
    with backend_settings(settings, queued_mode):
        result = tasks.echo.enqueue(*args, **kwargs)
        run_until_empty()
        fetched = tasks.echo.get_result(result.id)
    assert fetched.status == "SUCCESSFUL", fetched.errors
    assert same(fetched.return_value, {"args": args, "kwargs": kwargs})
    assert same(fetched.args, args) and same(fetched.kwargs, kwargs)


@examples(30)
@given(value=st.recursive(json_values, lambda inner: st.tuples(inner, inner), max_leaves=6))
def test_tuples_come_back_as_lists_like_django_does(value):
    def as_lists(item):
        if isinstance(item, tuple | list):
            return [as_lists(i) for i in item]
        if isinstance(item, dict):
            return {k: as_lists(v) for k, v in item.items()}
        return item

    result = tasks.echo.enqueue(value)
    run_until_empty()
    assert same(tasks.echo.get_result(result.id).return_value["args"], [as_lists(value)])


@pytest.mark.parametrize(("kind", "reason"), [("nul", "NUL"), ("surrogate", "lone surrogate")])
def test_a_return_value_no_database_can_store_fails_the_job_once(mode, kind, reason):
    result = tasks.returns_unstorable.enqueue(kind)
    run_until_empty(include_scheduled=True)
    result.refresh()
    assert result.status == "FAILED" and result.attempts == 1
    assert "not JSON-serialisable" in result.errors[0].traceback
    assert reason in result.errors[0].traceback


def test_int_keys_of_a_return_value_become_strings_as_json_makes_them(mode):
    result = tasks.returns_unstorable.enqueue("int keys")
    run_until_empty(include_scheduled=True)
    result.refresh()
    assert result.return_value == {"1": "one"}
