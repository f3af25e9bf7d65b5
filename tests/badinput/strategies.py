"""Hypothesis strategies for the bad-input tests: JSON a job can carry, and what it cannot.

``json_values`` are the values enqueue must accept and give back unchanged;
``hostile_values`` each hide at least one thing JSON would refuse or silently
change (a NaN, a set, an int dict key, a lone surrogate, ...) somewhere inside
an otherwise valid structure.
"""

import datetime
import decimal
import math
import uuid

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def examples(count: int) -> settings:
    """Few examples, no deadline, no example database written into the source tree."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Every character a database stores as it is: PostgreSQL refuses NUL, and a lone
# surrogate is not Unicode at all.
storable_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | storable_text
)

json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(storable_text, inner, max_size=4),
    max_leaves=12,
)


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _with(character: str) -> st.SearchStrategy[str]:
    return st.builds(lambda a, b: a + character + b, storable_text, storable_text)


class Opaque:
    """An arbitrary object: JSON has no way to carry it."""


_hostile_leaves = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.binary(max_size=8),
    st.frozensets(st.integers(), max_size=3),
    st.sets(st.integers(), max_size=3),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.decimals(places=2, allow_nan=False, allow_infinity=False),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
    st.uuids(),
    st.builds(Opaque),
    st.builds(nested, st.integers(min_value=101, max_value=5000)),
    st.dictionaries(
        st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False),
        json_scalars,
        min_size=1,
        max_size=3,
    ),
    _with("\x00"),
    st.characters(categories=["Cs"]).flatmap(_with),
)

hostile_values = st.recursive(
    _hostile_leaves,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3).flatmap(
            lambda items: st.lists(json_values, max_size=2).map(lambda good: [*good, *items])
        )
        | st.dictionaries(storable_text, inner, min_size=1, max_size=3)
    ),
    max_leaves=3,
)

EXAMPLE_HOSTILE = {
    "nan": math.nan,
    "bytes": b"\x00\xff",
    "set": {1, 2},
    "datetime": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    "decimal": decimal.Decimal("1.10"),
    "uuid": uuid.UUID(int=1),
    "object": Opaque(),
    "deep": nested(10_000),
    "int key": {1: "one"},
    "colliding keys": {1: "a", "1": "b"},
    "lone surrogate": "\ud800",
    "NUL": "a\x00b",
}
