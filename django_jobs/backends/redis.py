"""Redis for huey mode: one connection pool per backend alias, and signed JSON messages.

Huey's default serializer is pickle: anyone able to write to Redis could make a
worker run code. Our messages are JSON (which cannot execute anything) signed
with an HMAC keyed from SECRET_KEY, so a message that was not written by this
project is refused before it is even decoded.
"""

import datetime
import hashlib
import hmac
import json
import reprlib
from collections.abc import Callable
from typing import Any

from django.core import signing
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.encoding import force_bytes

SALT = "django_jobs.huey.message"

_short = reprlib.Repr()  # keyword arguments need Python 3.12
_short.maxstring = 160

_pools: dict[str, Any] = {}


class UntrustedMessage(ValueError):
    """A queue message that is not signed by this project or is not a valid message."""


def connection_pool(alias: str, options: dict) -> Any:
    """The Redis connection pool of backend ``alias``: from REDIS_URL or a django-redis cache."""
    if alias not in _pools:
        if options.get("CONNECTION"):
            from django_redis import get_redis_connection

            _pools[alias] = get_redis_connection(options["CONNECTION"]).connection_pool
        else:
            from redis import ConnectionPool

            _pools[alias] = ConnectionPool.from_url(options["REDIS_URL"])
    return _pools[alias]


def forget_pools() -> None:
    _pools.clear()


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting in ("TASKS", "CACHES", "SECRET_KEY"):
        forget_pools()


def _encode_time(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _decode_time(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value is not None else None


class MessageSigner(signing.Signer):
    """Django's ``Signer`` (same signatures, same key fallbacks), its HMAC key derived once.

    Every message is signed at enqueue and checked by a worker: Django derives the
    key from the salt and SECRET_KEY on every call, which was most of the signing
    time. Fallback keys, only ever needed for old messages, go through Django's code.
    """

    def __init__(self, *, salt: str) -> None:
        super().__init__(salt=salt, algorithm="sha256")
        # As django.utils.crypto.salted_hmac derives it, once.
        secret = force_bytes(salt + "signer") + force_bytes(self.key)
        self._derived_key = hashlib.sha256(secret).digest()

    def signature(self, value: str | bytes, key: Any = None) -> str:
        if key is not None and key != self.key:
            return super().signature(value, key)
        digest = hmac.digest(self._derived_key, force_bytes(value), "sha256")
        return signing.b64_encode(digest).decode()


_JSON = json.JSONEncoder(separators=(",", ":"))


class SignedJSONSerializer:
    """Serialize huey ``Message`` tuples as signed JSON; refuse anything else."""

    TIME_FIELDS = ("eta", "expires_resolved")

    def __init__(self, message_class: type) -> None:
        self.message_class = message_class
        self.signer = MessageSigner(salt=SALT)

    def serialize(self, message: Any) -> bytes:
        return self.signer.sign(self._unsigned(message)).encode()

    def serializer_for(self, message: Any, placeholder: str) -> Callable[[str], bytes]:
        """``serialize`` for copies of ``message`` with a value in place of ``placeholder``.

        ``placeholder`` is a string value of ``message`` (wherever it occurs); the
        message is encoded once, and each copy only joined and signed.
        """
        parts = self._unsigned(message).split(_JSON.encode(placeholder))
        sign = self.signer.sign
        return lambda value: sign(_JSON.encode(value).join(parts)).encode()

    def _unsigned(self, message: Any) -> str:
        data = message._asdict()
        if data.get("on_complete") or data.get("on_error") or data.get("chord_config"):
            raise ValueError("django-jobs messages do not chain tasks")
        for name in self.TIME_FIELDS:
            data[name] = _encode_time(data[name])
        data["args"] = list(data["args"] or ())
        return _JSON.encode(data)

    def deserialize(self, raw: bytes) -> Any:
        try:
            data = json.loads(self.signer.unsign(raw.decode()))
            if not isinstance(data, dict):
                raise TypeError(f"a message is a JSON object, not {type(data).__name__}")
            for name in self.TIME_FIELDS:
                data[name] = _decode_time(data.get(name))
            data["args"] = tuple(data.get("args") or ())
            return self.message_class(**data)
        except (signing.BadSignature, UnicodeDecodeError, ValueError, TypeError) as exc:
            # Whoever wrote to Redis chose this text: short and escaped, it forges no log line.
            reason = f"{type(exc).__name__}: {_short.repr(str(exc))}"
            raise UntrustedMessage(f"refused a queue message: {reason}") from exc
