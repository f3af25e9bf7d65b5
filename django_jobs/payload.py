"""Check a job's arguments at enqueue: they bind, they are JSON, they fit.

Everything that would make a job fail later for reasons known now is refused
here, with a sentence, before anything is stored.
"""

import inspect
import json
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from django_jobs.exceptions import InvalidPayload

MAX_DEPTH = 100  # deeper data would exhaust Python's recursion limit somewhere downstream
_SCALARS = frozenset({str, int, float, bool, type(None)})  # exactly these survive JSON as they are
_PLAIN = _SCALARS - {str}  # scalars with nothing to check
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
# ``_ENCODER.encode`` builds its C iterator anew on every call, a microsecond that is
# most of the cost of a small job's arguments: this one is built once. Without
# circular-reference markers: ``_check`` has refused a value that contains itself.
_C_ITERENCODE = c_make_encoder and c_make_encoder(
    None, _ENCODER.default, encode_basestring_ascii, None, ":", ",", False, False, False
)


@lru_cache(maxsize=1024)
def _signature(func: Callable[..., Any], *, takes_context: bool) -> inspect.Signature:
    """The signature callers must match (without the context parameter); computed once."""
    signature = inspect.signature(func)
    if takes_context:
        parameters = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=parameters)
    return signature


def bind_arguments(
    func: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any], *, takes_context: bool
) -> None:
    """Raise InvalidPayload when ``args``/``kwargs`` don't fit the task's signature."""
    problem = _binding_problem(func, len(args), tuple(kwargs), takes_context=takes_context)
    if problem is not None:
        raise InvalidPayload(problem)


@lru_cache(maxsize=4096)
def _binding_problem(
    func: Callable[..., Any], positional: int, keywords: tuple[str, ...], *, takes_context: bool
) -> str | None:
    """Why a call with this many positional arguments and these keywords can't bind, or None.

    Binding looks at how many arguments there are and at their names, never at
    their values, so the answer is computed once per call shape: ``enqueue_many``
    of thousands of alike calls binds once.
    """
    signature = _signature(func, takes_context=takes_context)
    try:
        signature.bind(*[None] * positional, **dict.fromkeys(keywords))
    except TypeError as exc:
        name = getattr(func, "__qualname__", repr(func))
        return f"Arguments don't match {name}{signature}: {exc}"
    return None


def text_problem(text: str) -> str | None:
    """Why a database could not store ``text`` as it is, or None."""
    if "\x00" in text:
        return "strings may not contain NUL characters (PostgreSQL cannot store them)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "strings must be valid Unicode, not contain a lone surrogate"
    return None


def _children(item: dict | list | tuple, *, string_keys: bool) -> Iterable[Any]:
    if not isinstance(item, dict):
        return item
    for key in item:
        if string_keys and not isinstance(key, str):
            raise ValueError(
                f"dict keys must be strings, got the {type(key).__name__} key {reprlib.repr(key)}"
            )
    return [*(key for key in item if isinstance(key, str)), *item.values()]


def _check(value: Any, *, string_keys: bool) -> None:
    """Refuse what ``json.dumps`` would silently change, or a database refuse, in ``value``.

    JSON turns ``{1: "a", "1": "b"}`` into ``{"1": "b"}`` without a word, and
    PostgreSQL refuses strings SQLite stores: both must fail at enqueue, the same
    way on every database. Walked without recursion, because depth is what it checks.
    """
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                raise ValueError(problem)
        elif isinstance(item, dict | list | tuple):
            if depth > MAX_DEPTH:
                raise ValueError(
                    f"it is nested more than {MAX_DEPTH} levels deep (or contains itself)"
                )
            for child in _children(item, string_keys=string_keys):
                if type(child) not in _PLAIN:
                    pending.append((child, depth + 1))


def encode(value: Any, *, string_keys: bool = True) -> str:
    """``value`` as strict JSON, or TypeError/ValueError saying why it cannot be.

    With ``string_keys=False`` other scalar keys become strings, as ``json.dumps`` does.
    """
    _check(value, string_keys=string_keys)
    if _C_ITERENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ITERENCODE(value, 0))


def to_json(value: Any, what: str) -> str:
    """Encode ``value`` as strict JSON (no NaN, no objects) or raise InvalidPayload."""
    try:
        return encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidPayload(f"{what} must be JSON-serialisable: {exc}") from exc


class PreparedArguments(NamedTuple):
    """Arguments as the worker will see them, and the JSON text that stores them."""

    args: list[Any]
    kwargs: dict[str, Any]
    args_json: str
    kwargs_json: str


def prepare(
    func: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    *,
    takes_context: bool,
    max_bytes: int,
) -> PreparedArguments:
    """The arguments after the JSON round-trip, checked; with their JSON, so a bulk
    INSERT stores the text already made instead of encoding every job's arguments again."""
    bind_arguments(func, args, kwargs, takes_context=takes_context)
    args, kwargs = list(args), dict(kwargs)
    # Most calls have no keyword arguments (or no positional ones): nothing to check.
    encoded_args = to_json(args, "Positional arguments") if args else "[]"
    encoded_kwargs = to_json(kwargs, "Keyword arguments") if kwargs else "{}"
    size = len(encoded_args) + len(encoded_kwargs)  # bytes: the encoder escapes to ASCII
    if size > max_bytes:
        raise InvalidPayload(
            f"Arguments are {size} bytes as JSON, over the limit of {max_bytes} "
            "(JOBS['MAX_PAYLOAD_BYTES']); store large data elsewhere and pass its id."
        )
    return PreparedArguments(
        _round_tripped(args, encoded_args),
        _round_tripped(kwargs, encoded_kwargs),
        encoded_args,
        encoded_kwargs,
    )


def _round_tripped(value: list[Any] | dict[str, Any], encoded: str) -> Any:
    """``value`` as decoding ``encoded`` gives it back, without decoding when nothing changes.

    A list, or a dict under plain string keys, of plain scalars (a subclass such as
    an IntEnum comes back as its base) survives JSON as it is; anything else, a
    tuple inside for one, is decoded from its JSON.
    """
    if isinstance(value, dict):
        unchanged = all(type(key) is str for key in value) and all(
            type(item) in _SCALARS for item in value.values()
        )
    else:
        unchanged = all(type(item) in _SCALARS for item in value)
    if unchanged:
        return value
    return json.loads(encoded)
