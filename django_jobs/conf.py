"""The ``JOBS`` setting: documented defaults, validation and one cached accessor.

Settings are read through :func:`get_settings`, never at import, and the cache
is dropped on ``setting_changed`` so ``override_settings(JOBS=...)`` works.
Problems are reported as sentences naming the key, the expectation and the
value found; ``manage.py check`` shows them (see ``checks.py``).
"""

import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

Check = Callable[[Any], str | None]

DAY = 86_400

RETENTION_DEFAULTS: dict[str, int] = {
    "SUCCESSFUL": DAY,
    "SUCCESSFUL_KEEP": 1_000,
    "FAILED": 7 * DAY,
    "CANCELLED": 7 * DAY,
}


def _whole_number(minimum: int) -> Check:
    """The check for an ``int`` (a bool is not one) of at least ``minimum``."""

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            return f"must be a whole number of at least {minimum}"
        return None

    return check


_positive_int = _whole_number(1)


def _positive_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return "must be a positive number"
    if not math.isfinite(value):
        return "must be a positive, finite number"
    return None


def _fraction(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return "must be a number between 0 and 1"
    return None


def _optional_str(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        return "must be a non-empty string or None"
    return None


def _mapping(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be a dict"
    return None


def _retention(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be a dict"
    unknown = sorted(set(value) - set(RETENTION_DEFAULTS))
    if unknown:
        return f"has unknown keys {unknown}; known keys are {sorted(RETENTION_DEFAULTS)}"
    for key, item in value.items():
        if _positive_int(item):
            return f"['{key}'] must be a whole number of at least 1 (seconds or a count)"
    return None


HOLDS_SECRETS = {"WEBHOOKS", "EMAIL", "METRICS_TOKEN"}  # never echo these values in messages
WEBHOOK_KEYS = {"SECRETS", "SECRET_RESOLVER", "ALLOWED_NETWORKS", "TIMEOUT"}
EMAIL_KEYS = {"BACKEND", "OPTIONS"}


def _keys_in(known: set[str]) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return "must be a dict"
        unknown = sorted(set(value) - known)
        if unknown:
            return f"has unknown keys {unknown}; known keys are {sorted(known)}"
        return None

    return check


def _networks(value: Any) -> bool:
    """A list of network strings; ``ip_network`` would also take ``False`` as 0.0.0.0/32."""
    if not isinstance(value, list | tuple) or not all(isinstance(n, str) for n in value):
        return False
    try:
        for network in value:
            ipaddress.ip_network(network)
    except (TypeError, ValueError):
        return False
    return True


def _webhooks(value: Any) -> str | None:
    if problem := _keys_in(WEBHOOK_KEYS)(value):
        return problem
    secrets = value.get("SECRETS", {})
    if not isinstance(secrets, Mapping) or not all(
        isinstance(s, str) and s.startswith("whsec_") for s in secrets.values()
    ):
        return "['SECRETS'] must map names to 'whsec_...' secrets"
    if not _networks(value.get("ALLOWED_NETWORKS", [])):
        return "['ALLOWED_NETWORKS'] must be a list of networks like '10.0.0.0/8'"
    if "TIMEOUT" in value and _positive_number(value["TIMEOUT"]):
        return "['TIMEOUT'] must be a positive number of seconds"
    return None


# key -> (default, check). The order is the documentation order.
SCHEMA: dict[str, tuple[Any, Check]] = {
    "MAX_ATTEMPTS": (3, _positive_int),
    "BACKOFF": (5.0, _positive_number),
    "BACKOFF_MAX": (3_600.0, _positive_number),
    "BACKOFF_JITTER": (0.1, _fraction),
    "LEASE_SECONDS": (60.0, _positive_number),
    "POLL_INTERVAL": (1.0, _positive_number),
    "CONCURRENCY": (4, _positive_int),
    "PREFETCH": (8, _whole_number(0)),
    "GRACE_SECONDS": (30.0, _positive_number),
    "MAX_PAYLOAD_BYTES": (1_000_000, _positive_int),
    "RETENTION": (RETENTION_DEFAULTS, _retention),
    "SCHEDULES": ({}, _mapping),
    "WEBHOOKS": ({}, _webhooks),
    "EMAIL": ({}, _keys_in(EMAIL_KEYS)),
    "CREDIT_ACCOUNT_MODEL": (None, _optional_str),
    "REDACT_ARGUMENTS": (None, _optional_str),
    "METRICS_TOKEN": (None, _optional_str),
    "BULK_ACTION_LIMIT": (10_000, _positive_int),
}


@dataclass(frozen=True, slots=True)
class JobsSettings:
    """The validated ``JOBS`` setting with every default filled in."""

    MAX_ATTEMPTS: int
    BACKOFF: float
    BACKOFF_MAX: float
    BACKOFF_JITTER: float
    LEASE_SECONDS: float
    POLL_INTERVAL: float
    CONCURRENCY: int
    PREFETCH: int
    GRACE_SECONDS: float
    MAX_PAYLOAD_BYTES: int
    RETENTION: dict[str, int]
    SCHEDULES: dict[str, Any] = field(default_factory=dict)
    WEBHOOKS: dict[str, Any] = field(default_factory=dict)
    EMAIL: dict[str, Any] = field(default_factory=dict)
    CREDIT_ACCOUNT_MODEL: str | None = None
    REDACT_ARGUMENTS: str | None = None
    METRICS_TOKEN: str | None = None
    BULK_ACTION_LIMIT: int = 10_000

    @property
    def heartbeat_seconds(self) -> float:
        """How often a worker renews its leases: often enough to survive two misses."""
        return min(10.0, self.LEASE_SECONDS / 4)


def validate(raw: Any) -> list[str]:
    """Return one sentence per problem in a raw ``JOBS`` value (empty when valid)."""
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return [f"JOBS must be a dict, got a {type(raw).__name__}"]  # its values may be secrets
    problems = [
        f"JOBS has an unknown key {key!r}; known keys are: {', '.join(SCHEMA)}"
        for key in raw
        if key not in SCHEMA
    ]
    for key, value in raw.items():
        if key in SCHEMA and (problem := SCHEMA[key][1](value)):
            shown = "" if key in HOLDS_SECRETS else f", got: {value!r}"
            space = "" if problem.startswith("[") else " "  # JOBS['WEBHOOKS']['TIMEOUT'] ...
            problems.append(f"JOBS['{key}']{space}{problem}{shown}")
    return problems


def build(raw: Mapping[str, Any] | None) -> JobsSettings:
    """Merge ``raw`` over the defaults; raise ImproperlyConfigured on any problem."""
    problems = validate(raw)
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
    values = {key: default for key, (default, _check) in SCHEMA.items()}
    values.update(raw or {})
    values["RETENTION"] = {**RETENTION_DEFAULTS, **values["RETENTION"]}
    return JobsSettings(**values)


@cache
def get_settings() -> JobsSettings:
    """The project's ``JOBS`` setting, validated once and cached."""
    return build(getattr(settings, "JOBS", None))


@receiver(setting_changed)
def _reset_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "JOBS":
        get_settings.cache_clear()
