"""Cron schedules from ``JOBS["SCHEDULES"]``: validation and tick arithmetic (pure).

Ticks are computed on the schedule's local wall clock, then pinned to an instant:
a wall-clock time that happens twice (autumn) fires once, at its first
occurrence; one that does not exist (spring) fires at the same offset after the
gap. So daylight-saving changes neither skip nor double a tick.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

CATCH_UP = ("none", "latest")
OVERLAP = ("skip", "allow")
KEYS = {"task", "cron", "args", "kwargs", "queue", "timezone", "enabled", "catch_up", "overlap"}

# Built-in schedules; a project overrides one by name, or switches it off with None.
DEFAULTS: dict[str, dict[str, Any]] = {
    "django_jobs.cleanup_sessions": {
        "task": "django_jobs.tasks.sessions.cleanup_sessions",
        "cron": "17 3 * * *",
    },
    "django_jobs.prune_jobs": {
        "task": "django_jobs.tasks.maintenance.prune_jobs",
        "cron": "@hourly",
    },
    "django_jobs.reset_credits": {
        "task": "django_jobs.tasks.credits.reset_credits",
        "cron": "@monthly",
    },
}


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    name: str
    task: str
    cron: str
    timezone: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None
    enabled: bool = True
    catch_up: str = "latest"
    overlap: str = "skip"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def latest_tick(self, now: datetime.datetime) -> datetime.datetime:
        """The last tick at or before ``now`` (an aware instant)."""
        local = now.astimezone(self.zone).replace(tzinfo=None) + datetime.timedelta(microseconds=1)
        candidate = croniter(self.cron, local).get_prev(datetime.datetime)
        tick = self._pin(candidate)
        # A spring-gap tick pinned after the gap can lie after ``now``: take the one before.
        return (
            tick
            if tick <= now
            else self._pin(croniter(self.cron, candidate).get_prev(datetime.datetime))
        )

    def next_tick(self, after: datetime.datetime) -> datetime.datetime:
        """The first tick strictly after ``after``."""
        local = after.astimezone(self.zone).replace(tzinfo=None)
        it = croniter(self.cron, local)
        while True:
            tick = self._pin(it.get_next(datetime.datetime))
            if tick > after:
                return tick

    def _pin(self, local: datetime.datetime) -> datetime.datetime:
        # fold=0: an ambiguous time is its first occurrence, a missing one is shifted by the gap.
        return local.replace(tzinfo=self.zone, fold=0).astimezone(datetime.UTC)


def _ever_fires(cron: str) -> bool:
    """False for a valid expression naming no real date ("0 0 31 2 *"): it would never tick."""
    try:
        croniter(cron, datetime.datetime(2000, 1, 1)).get_next(datetime.datetime)
    except CroniterBadDateError:
        return False
    return True


def _cron_problems(where: str, cron: Any) -> list[str]:
    if not isinstance(cron, str) or not cron:
        return []  # reported as required
    if not croniter.is_valid(cron):
        return [f"{where}['cron'] is not a valid cron expression: {cron!r}"]
    if len(cron.split()) > 5:
        return [f"{where}['cron'] must have 5 fields (minute precision): {cron!r}"]
    if not _ever_fires(cron):
        return [f"{where}['cron'] never matches a date: {cron!r}"]
    return []


def _problems_of(name: str, entry: Any) -> list[str]:
    where = f"JOBS['SCHEDULES'][{name!r}]"
    if not isinstance(entry, dict):
        return [
            f"{where} must be a dict (or None to switch a built-in schedule off), got: {entry!r}"
        ]
    problems = [
        f"{where} has an unknown key {key!r}; known: {sorted(KEYS)}"
        for key in entry
        if key not in KEYS
    ]
    for key in ("task", "cron"):
        if not isinstance(entry.get(key), str) or not entry.get(key):
            problems.append(f"{where}['{key}'] is required and must be a string")
    problems.extend(_cron_problems(where, entry.get("cron")))
    checks = {
        "args": (list, "a list"),
        "kwargs": (dict, "a dict"),
        "enabled": (bool, "True or False"),
        "queue": (str, "a queue name"),
        "timezone": (str, "a time zone name"),
    }
    for key, (kind, wanted) in checks.items():
        if key in entry and not isinstance(entry[key], kind):
            problems.append(f"{where}['{key}'] must be {wanted}, got: {entry[key]!r}")
    if isinstance(entry.get("timezone"), str):
        try:
            ZoneInfo(entry["timezone"])
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America", a directory
            problems.append(f"{where}['timezone'] is not a known time zone: {entry['timezone']!r}")
    for key, allowed in (("catch_up", CATCH_UP), ("overlap", OVERLAP)):
        if key in entry and entry[key] not in allowed:
            problems.append(f"{where}['{key}'] must be one of {list(allowed)}, got: {entry[key]!r}")
    return problems


def validate(raw: Any) -> list[str]:
    """Sentences describing every problem in ``JOBS["SCHEDULES"]``."""
    if not isinstance(raw, dict):
        return []  # conf reports the wrong type
    problems = []
    for name, entry in raw.items():
        if entry is None and name in DEFAULTS:
            continue
        problems.extend(_problems_of(name, entry))
    return problems


def effective(
    raw: dict[str, Any], *, default_timezone: str, credits: bool
) -> dict[str, ScheduleSpec]:
    """The built-in schedules merged with the project's, as specs."""
    entries = dict(DEFAULTS)
    if not credits:
        entries.pop("django_jobs.reset_credits")
    entries.update(raw)
    return {
        name: ScheduleSpec(name=name, **{"timezone": default_timezone, **entry})
        for name, entry in entries.items()
        if entry is not None
    }
