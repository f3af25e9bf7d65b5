"""Tick arithmetic on local wall clocks, daylight-saving changes included."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from django_jobs.schedules import ScheduleSpec, effective, validate


def spec(cron, tz="Europe/Berlin"):
    return ScheduleSpec(name="s", task="t", cron=cron, timezone=tz)


def ticks_between(s, start, end):
    out, tick = [], start
    while (tick := s.next_tick(tick)) <= end:
        out.append(tick)
    return out


def test_latest_and_next_tick_in_utc():
    s = spec("*/15 * * * *", "UTC")
    now = datetime(2026, 5, 1, 10, 7, tzinfo=UTC)
    assert s.latest_tick(now) == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert s.next_tick(now) == datetime(2026, 5, 1, 10, 15, tzinfo=UTC)
    assert s.latest_tick(datetime(2026, 5, 1, 10, 15, tzinfo=UTC)).minute == 15


def test_spring_forward_daily_tick_in_the_gap_fires_once_after_it():
    # 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist that day.
    s = spec("30 2 * * *")
    ticks = ticks_between(
        s, datetime(2026, 3, 27, 12, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
    )
    assert [t.isoformat() for t in ticks] == [
        "2026-03-28T01:30:00+00:00",  # 02:30 CET
        "2026-03-29T01:30:00+00:00",  # shifted by the gap: 03:30 CEST
        "2026-03-30T00:30:00+00:00",  # 02:30 CEST
    ]


def test_fall_back_daily_tick_in_the_repeated_hour_fires_once():
    # 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice that day.
    s = spec("30 2 * * *")
    ticks = ticks_between(
        s, datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC)
    )
    assert [t.isoformat() for t in ticks] == [
        "2026-10-25T00:30:00+00:00",  # first 02:30 (CEST)
        "2026-10-26T01:30:00+00:00",
    ]


def test_hourly_across_both_changes_never_repeats_an_instant_or_stalls():
    s = spec("0 * * * *")
    for start in (datetime(2026, 3, 28, 20, tzinfo=UTC), datetime(2026, 10, 24, 20, tzinfo=UTC)):
        ticks = ticks_between(s, start, start + timedelta(hours=12))
        assert len(ticks) == len(set(ticks)) >= 11
        assert all(b > a for a, b in zip(ticks, ticks[1:], strict=False))


def test_latest_tick_never_in_the_future_around_the_gap():
    s = spec("30 2 * * *")
    now = datetime(2026, 3, 29, 1, 10, tzinfo=UTC)  # 03:10 CEST, before the shifted 03:30
    assert s.latest_tick(now) == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"task": "x"}, "['cron'] is required"),
        ({"task": "x", "cron": "61 * * * *"}, "not a valid cron expression"),
        ({"task": "x", "cron": "* * * * * *"}, "must have 5 fields"),
        ({"task": "x", "cron": "0 0 30 2 *"}, "never fires: no date matches '0 0 30 2 *'"),
        ({"task": "x", "cron": "0 0 31 4,6,9,11 *"}, "never fires"),
        ({"task": "x", "cron": "* " * 60}, "longer than 100 characters"),
        ({"task": "x", "cron": "@daily", "timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"task": "x", "cron": "@daily", "catch_up": "all"}, "['catch_up'] must be one of"),
        ({"task": "x", "cron": "@daily", "overlap": "maybe"}, "['overlap'] must be one of"),
        ({"task": "x", "cron": "@daily", "args": "a"}, "['args'] must be a list"),
        ({"task": "x", "cron": "@daily", "every": 5}, "unknown key 'every'"),
        ("@daily", "must be a dict"),
    ],
)
def test_bad_schedules_are_named(entry, message):
    problems = validate({"nightly": entry})
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize("cron", ["0 0 29 2 *", "0 0 30 2 1", "0 0 * 2 1#5", "0 0 L 2 *"])
def test_rare_crons_that_do_fire_are_valid(cron):
    assert validate({"n": {"task": "x", "cron": cron}}) == []


def test_validating_any_cron_string_is_quick():
    crons = ["59 23 31 2 1#5", "0 0 31 2,4,6,9,11 *", ",".join(["1"] * 50_000) + " * * * *"]
    started = time.monotonic()
    problems = validate({f"n{i}": {"task": "x", "cron": cron} for i, cron in enumerate(crons)})
    assert len(problems) == 3
    assert time.monotonic() - started < 1.0


def test_defaults_can_be_overridden_or_switched_off():
    specs = effective(
        {
            "django_jobs.prune_jobs": None,
            "django_jobs.cleanup_sessions": {"task": "t", "cron": "@weekly"},
        },
        default_timezone="UTC",
        credits=True,
    )
    assert "django_jobs.prune_jobs" not in specs
    assert specs["django_jobs.cleanup_sessions"].cron == "@weekly"
    assert specs["django_jobs.reset_credits"].cron == "@monthly"
    assert "django_jobs.reset_credits" not in effective({}, default_timezone="UTC", credits=False)
    assert validate({"django_jobs.prune_jobs": None}) == []
