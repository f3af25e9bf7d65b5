"""Daylight-saving changes, checked against a brute-force reading of the rule.

The rule (module docstring of django_jobs.schedules): a tick is an instant at
which the local wall clock reads a time the cron names. A missing wall time
fires once, shifted by the gap. A repeated one fires at both occurrences for an
interval-like cron (hour field ``*`` or a step) and at the first for any other.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from django_jobs.schedules import ScheduleSpec

MINUTE = timedelta(minutes=1)
WINDOW = timedelta(hours=4)

# (zone, the instant of the change): spring forward, then fall back, in 2026.
TRANSITIONS = [
    ("Europe/Berlin", datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 25, 1, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 8, 7, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC)),
]
CRONS = ["@hourly", "*/15 * * * *", "0 */2 * * *", "30 1 * * *", "30 2 * * *", "*/20 1-3 * * *"]


def spec(cron, tz):
    return ScheduleSpec(name="s", task="t", cron=cron, timezone=tz)


def ticks_between(s, start, end):
    out, tick = [], start
    while (tick := s.next_tick(tick)) <= end:
        out.append(tick)
    return out


def oracle(cron, tz, start, end):
    """Every tick in [start, end], by reading the wall clock at each real minute."""
    zone = ZoneInfo(tz)
    hour = croniter(cron).expressions[1]
    interval_like = hour == "*" or "/" in hour
    ticks = set()
    t = start
    while t <= end:
        local = t.astimezone(zone)
        matches = croniter.match(cron, local.replace(tzinfo=None))
        if matches and (interval_like or local.fold == 0):
            ticks.add(t)
        t += MINUTE
    wall = (start - timedelta(hours=12)).replace(tzinfo=None)
    while wall <= (end + timedelta(hours=12)).replace(tzinfo=None):
        pinned = wall.replace(tzinfo=zone).astimezone(UTC)
        missing = pinned.astimezone(zone).replace(tzinfo=None) != wall
        if missing and croniter.match(cron, wall) and start <= pinned <= end:
            ticks.add(pinned)  # a wall time in the gap, shifted by the gap
        wall += MINUTE
    return sorted(ticks)


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("@hourly", True),
        ("*/15 * * * *", True),
        ("0 */2 * * *", True),
        ("5 1-23/2 * * *", True),
        ("@daily", False),
        ("30 2 * * *", False),
        ("0 1-3 * * *", False),
        ("*/15 2 * * *", False),
    ],
)
def test_interval_like_means_hour_field_star_or_step(cron, expected):
    assert spec(cron, "UTC").interval_like is expected


@pytest.mark.parametrize(("tz", "change"), TRANSITIONS)
@pytest.mark.parametrize("cron", CRONS)
def test_ticks_follow_the_rule_around_each_change(cron, tz, change):
    s = spec(cron, tz)
    start, end = change - WINDOW, change + WINDOW
    expected = oracle(cron, tz, start, end)
    assert ticks_between(s, start - timedelta(microseconds=1), end) == expected
    probes = {start + n * 7 * MINUTE for n in range(2 * WINDOW // (7 * MINUTE))}
    probes |= {t + d for t in expected for d in (-timedelta(seconds=1), timedelta(0), MINUTE)}
    for now in sorted(p for p in probes if start <= p <= end):
        before = [t for t in expected if t <= now]
        after = [t for t in expected if t > now]
        if before:
            assert s.latest_tick(now) == before[-1], now
        if after:
            assert s.next_tick(now) == after[0], now


def iso(ticks):
    return [t.isoformat() for t in ticks]


def test_berlin_fall_back_hourly_and_quarter_hourly_fire_every_real_interval():
    # 2026-10-25 03:00 CEST -> 02:00 CET: the wall hour 02:00-03:00 happens twice.
    start, end = datetime(2026, 10, 24, 22, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC)
    assert iso(ticks_between(spec("@hourly", "Europe/Berlin"), start, end)) == [
        "2026-10-24T23:00:00+00:00",  # 01:00 CEST
        "2026-10-25T00:00:00+00:00",  # 02:00 CEST
        "2026-10-25T01:00:00+00:00",  # 02:00 CET, the second 02:00
        "2026-10-25T02:00:00+00:00",  # 03:00 CET
        "2026-10-25T03:00:00+00:00",
    ]
    quarters = ticks_between(spec("*/15 * * * *", "Europe/Berlin"), start, end)
    assert {b - a for a, b in zip(quarters, quarters[1:], strict=False)} == {15 * MINUTE}
    assert len(quarters) == 18


def test_new_york_fall_back_daily_in_the_repeated_hour_fires_once():
    # 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice; a daily job runs at the first.
    s = spec("30 1 * * *", "America/New_York")
    start, end = datetime(2026, 10, 31, 12, tzinfo=UTC), datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert iso(ticks_between(s, start, end)) == [
        "2026-11-01T05:30:00+00:00",  # 01:30 EDT
        "2026-11-02T06:30:00+00:00",  # 01:30 EST
    ]
    hourly = ticks_between(spec("@hourly", "America/New_York"), start, end)
    assert {b - a for a, b in zip(hourly, hourly[1:], strict=False)} == {60 * MINUTE}


def test_new_york_spring_forward_daily_shifts_and_sub_daily_never_doubles():
    # 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist that day.
    start, end = datetime(2026, 3, 7, 0, tzinfo=UTC), datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert iso(ticks_between(spec("30 2 * * *", "America/New_York"), start, end)) == [
        "2026-03-07T07:30:00+00:00",  # 02:30 EST
        "2026-03-08T07:30:00+00:00",  # shifted by the gap: 03:30 EDT
        "2026-03-09T06:30:00+00:00",  # 02:30 EDT
    ]
    for cron in ("@hourly", "*/15 * * * *"):
        ticks = ticks_between(spec(cron, "America/New_York"), start, end)
        step = 60 * MINUTE if cron == "@hourly" else 15 * MINUTE
        assert {b - a for a, b in zip(ticks, ticks[1:], strict=False)} == {step}


def test_a_step_of_hours_fires_at_both_repeated_times_and_once_after_the_gap():
    s = spec("0 */2 * * *", "Europe/Berlin")
    autumn = ticks_between(
        s, datetime(2026, 10, 24, 21, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC)
    )
    assert iso(autumn) == [
        "2026-10-24T22:00:00+00:00",  # 00:00 CEST
        "2026-10-25T00:00:00+00:00",  # 02:00 CEST
        "2026-10-25T01:00:00+00:00",  # 02:00 CET
        "2026-10-25T03:00:00+00:00",  # 04:00 CET
    ]
    spring = ticks_between(
        s, datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 3, 29, 3, tzinfo=UTC)
    )
    assert iso(spring) == [
        "2026-03-28T23:00:00+00:00",  # 00:00 CET
        "2026-03-29T01:00:00+00:00",  # 02:00 does not exist: 03:00 CEST
        "2026-03-29T02:00:00+00:00",  # 04:00 CEST
    ]


def test_latest_tick_in_the_second_occurrence_is_the_real_latest():
    now = datetime(2026, 10, 25, 1, 20, tzinfo=UTC)  # 02:20 CET, the second time round
    assert spec("*/15 * * * *", "Europe/Berlin").latest_tick(now) == datetime(
        2026, 10, 25, 1, 15, tzinfo=UTC
    )
    assert spec("15 2 * * *", "Europe/Berlin").latest_tick(now) == datetime(
        2026, 10, 25, 0, 15, tzinfo=UTC
    )


def test_next_tick_just_after_the_gap_finds_the_shifted_tick():
    now = datetime(2026, 3, 29, 1, 10, tzinfo=UTC)  # 03:10 CEST: 02:30 was shifted to 03:30
    assert spec("30 2 * * *", "Europe/Berlin").next_tick(now) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
