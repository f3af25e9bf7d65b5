import enum

import pytest

from django_jobs.exceptions import InvalidPayload
from django_jobs.payload import prepare


def takes(a, b=1, *, c): ...


def test_round_trip_turns_tuples_into_lists():
    prepared = prepare(takes, ((1, 2),), {"c": {"k": (3,)}}, takes_context=False, max_bytes=100)
    assert prepared == ([[1, 2]], {"c": {"k": [3]}}, "[[1,2]]", '{"c":{"k":[3]}}')


def test_context_parameter_is_not_an_argument():
    def with_context(context, a): ...

    prepare(with_context, [1], {}, takes_context=True, max_bytes=100)
    with pytest.raises(InvalidPayload):
        prepare(with_context, [1, 2], {}, takes_context=True, max_bytes=100)


def test_size_limit_counts_encoded_bytes():
    with pytest.raises(InvalidPayload, match="over the limit of 10"):
        prepare(takes, ["é" * 6], {"c": 1}, takes_context=False, max_bytes=10)


def test_binding_is_checked_for_every_call_shape():
    """Binding is remembered per call shape: a shape seen before must not excuse another."""
    prepare(takes, [1], {"c": 1}, takes_context=False, max_bytes=100)
    prepare(takes, [2], {"c": 2}, takes_context=False, max_bytes=100)
    for args, kwargs, reason in [
        ([1], {}, "missing a required argument: 'c'"),
        ([1, 2, 3], {"c": 1}, "too many positional arguments"),
        ([1], {"c": 1, "d": 2}, "unexpected keyword argument 'd'"),
        ([], {"a": 1, "c": 1, 5: 1}, "keywords must be strings"),
    ]:
        with pytest.raises(InvalidPayload, match=reason):
            prepare(takes, args, kwargs, takes_context=False, max_bytes=100)


class Colour(enum.IntEnum):
    RED = 1


class Name(str):
    pass


def test_arguments_come_back_as_json_gives_them():
    """Plain scalars pass as they are; subclasses and tuples come back as JSON's own types."""

    def anything(*args, **kwargs): ...

    args, kwargs = [Colour.RED, Name("x"), 1.5, None], {"c": (True, Colour.RED)}
    prepared = prepare(anything, args, kwargs, takes_context=False, max_bytes=100)
    assert prepared.args == [1, "x", 1.5, None] and prepared.kwargs == {"c": [True, 1]}
    assert [type(value) for value in prepared.args] == [int, str, float, type(None)]
    plain = prepare(anything, (1, "x"), {"c": 2.5}, takes_context=False, max_bytes=100)
    assert plain.args == [1, "x"] and type(plain.args) is list
    assert plain.kwargs == {"c": 2.5}
    named = prepare(anything, [], {Name("c"): 1}, takes_context=False, max_bytes=100)
    assert [type(key) for key in named.kwargs] == [str]


def test_prepared_arguments_are_not_the_callers_objects():
    args, kwargs = [1], {"c": 2}
    prepared = prepare(takes, args, kwargs, takes_context=False, max_bytes=100)
    args.append(3)
    kwargs["c"] = 4
    assert (prepared.args, prepared.kwargs) == ([1], {"c": 2})
