"""Cron schedules from ``JOBS["SCHEDULES"]``: validation and tick arithmetic (pure).

A tick is an instant at which the schedule's local wall clock reads a time the
cron names. Two wall-clock corners need a rule, and it is this:

- A time that does not exist (the spring gap) fires once, as far after the gap
  as it was into it: a daily 02:30 fires at 03:30 on the day clocks jump from
  02:00 to 03:00. A tick that lands on the instant of another is the same tick,
  so an hourly cron fires once at 03:00, not twice.
- A time that happens twice (autumn) fires at both occurrences when the cron is
  *interval-like* -- its hour field is ``*`` or a step (``@hourly``,
  ``*/15 * * * *``, ``0 */2 * * *``) -- because such a cron means "every so
  often" and real time keeps passing through the repeated hour. Any other cron
  (``30 2 * * *``, ``@daily``, ``0 1-3 * * *``) names times of the day, and
  fires at the first occurrence only.

So daylight-saving changes never skip a daily tick, never run one twice, and an
interval-like cron keeps its real interval through the repeated hour.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

CATCH_UP = ("none", "latest")
OVERLAP = ("skip", "allow")
MAX_CRON_LENGTH = 100  # the Schedule.cron column
# A date five cron fields can name comes round within 40 years if it exists at all (the rarest,
# a Monday 29 February), so a cron with no match in this many years never fires.
MAX_YEARS = 50
_EPOCH = datetime.datetime(2000, 1, 1)
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

    @property
    def interval_like(self) -> bool:
        """Whether the cron means "every so often" (hour ``*`` or a step), not times of day."""
        return _is_interval_like(self.cron)

    def latest_tick(self, now: datetime.datetime) -> datetime.datetime:
        """The last tick at or before ``now`` (an aware instant).

        Walks the cron's wall-clock times backwards from the latest that can fire by ``now``
        and stops once no earlier one can fire after the best instant found.
        """
        walls = croniter(self.cron, self._reading(now, max) + _INSTANT)
        found: list[datetime.datetime] = []
        while True:
            wall = walls.get_prev(datetime.datetime)
            found.extend(t for t in self.instants(wall) if t <= now)
            if found and wall <= self._reading(max(found), min):
                return max(found)

    def next_tick(self, after: datetime.datetime) -> datetime.datetime:
        """The first tick strictly after ``after``.

        Walks the cron's wall-clock times forwards from the earliest that can fire after
        ``after`` and stops once no later one can fire before the best instant found.
        """
        walls = croniter(self.cron, self._reading(after, min) - _INSTANT)
        found: list[datetime.datetime] = []
        while True:
            wall = walls.get_next(datetime.datetime)
            found.extend(t for t in self.instants(wall) if t > after)
            if found and wall >= self._reading(min(found), max):
                return min(found)

    def instants(self, wall: datetime.datetime) -> list[datetime.datetime]:
        """The instants at which the local wall-clock time ``wall`` fires (see the module doc)."""
        first = self._pin(wall, fold=0)  # a missing time: shifted by the gap
        second = self._pin(wall, fold=1)
        if second > first and self.interval_like:  # a time that happens twice
            return [first, second]
        return [first]

    def _pin(self, local: datetime.datetime, fold: int) -> datetime.datetime:
        return local.replace(tzinfo=self.zone, fold=fold).astimezone(datetime.UTC)

    def _reading(self, instant: datetime.datetime, pick: Callable[..., Any]) -> datetime.datetime:
        # Near a change, consecutive wall-clock times are not consecutive instants (a repeated
        # hour maps back, a gap maps forward). Reading the clock at the lowest or highest UTC
        # offset in use around ``instant`` bounds the wall times that can fire next to it.
        instant = instant.astimezone(datetime.UTC)
        offsets = [(instant + d).astimezone(self.zone).utcoffset() for d in _AROUND]
        return (instant + pick(offsets)).replace(tzinfo=None)


# Wider than any daylight-saving change in use (the largest moves clocks by two hours).
_AROUND = (-datetime.timedelta(hours=3), datetime.timedelta(0), datetime.timedelta(hours=3))
_INSTANT = datetime.timedelta(microseconds=1)


@functools.lru_cache(maxsize=256)
def _is_interval_like(cron: str) -> bool:
    hour = croniter(cron).expressions[1]  # aliases expanded: "@hourly" -> "0 * * * *"
    return hour == "*" or "/" in hour


def _cron_problems(where: str, cron: str) -> list[str]:
    # Bounded in time: the length is capped before croniter parses, and croniter gives up
    # looking for a matching date after MAX_YEARS (it then raises CroniterBadDateError).
    if len(cron) > MAX_CRON_LENGTH:
        return [f"{where}['cron'] is longer than {MAX_CRON_LENGTH} characters: {cron[:40]!r}..."]
    if len(cron.split()) > 5:
        return [f"{where}['cron'] must have 5 fields (minute precision): {cron!r}"]
    if not croniter.is_valid(cron):
        return [f"{where}['cron'] is not a valid cron expression: {cron!r}"]
    try:
        croniter(cron, _EPOCH, max_years_between_matches=MAX_YEARS).get_next()
    except CroniterBadDateError:
        return [
            f"{where}['cron'] never fires: no date matches {cron!r} "
            "(a day the month does not have, such as February 30?)"
        ]
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
    if isinstance(entry.get("cron"), str):
        problems.extend(_cron_problems(where, entry["cron"]))
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
