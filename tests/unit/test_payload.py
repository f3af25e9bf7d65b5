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
