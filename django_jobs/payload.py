"""Check a job's arguments at enqueue: they bind, they are JSON, they fit.

Everything that would make a job fail later for reasons known now is refused
here, with a sentence, before anything is stored.
"""

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from django_jobs.exceptions import InvalidPayload


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
    signature = _signature(func, takes_context=takes_context)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        name = getattr(func, "__qualname__", repr(func))
        raise InvalidPayload(f"Arguments don't match {name}{signature}: {exc}") from exc


def to_json(value: Any, what: str) -> str:
    """Encode ``value`` as strict JSON (no NaN, no objects) or raise InvalidPayload."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidPayload(f"{what} must be JSON-serialisable: {exc}") from exc


def prepare(
    func: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    *,
    takes_context: bool,
    max_bytes: int,
) -> tuple[list[Any], dict[str, Any]]:
    """Return the arguments as the worker will see them after the JSON round-trip."""
    bind_arguments(func, args, kwargs, takes_context=takes_context)
    encoded_args = to_json(list(args), "Positional arguments")
    encoded_kwargs = to_json(dict(kwargs), "Keyword arguments")
    size = len(encoded_args.encode()) + len(encoded_kwargs.encode())
    if size > max_bytes:
        raise InvalidPayload(
            f"Arguments are {size} bytes as JSON, over the limit of {max_bytes} "
            "(JOBS['MAX_PAYLOAD_BYTES']); store large data elsewhere and pass its id."
        )
    return json.loads(encoded_args), json.loads(encoded_kwargs)
