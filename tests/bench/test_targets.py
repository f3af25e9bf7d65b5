"""The side-by-side benchmark's targets: ratios taken round by round, rows compared run together."""

from bench.rows import ROUND_ORDER, ROWS, in_round_order, select
from bench.targets import RAW_HUEY, SQLITE_DB, TARGETS, render


def test_every_row_has_a_place_in_a_round_and_targets_name_real_rows():
    assert sorted(ROUND_ORDER) == sorted((row.group, row.label) for row in ROWS)
    assert in_round_order(select(["raw huey", "SQLite"]))[-2:] == [
        row for row in ROWS if (row.group, row.label) in (SQLITE_DB, RAW_HUEY)
    ]
    assert len(TARGETS) == 15


def test_compared_rows_run_side_by_side_in_a_round():
    def distance(a: tuple[str, str], b: tuple[str, str]) -> int:
        return abs(ROUND_ORDER.index(a) - ROUND_ORDER.index(b))

    assert distance(SQLITE_DB, RAW_HUEY) == 1
    assert distance(("Redis", "django-jobs huey, PostgreSQL history"), RAW_HUEY) == 1
    assert distance(("PostgreSQL", "django-jobs database"), ("PostgreSQL", "django-tasks-db")) == 1


def test_a_ratio_is_the_median_of_its_rounds_not_of_the_medians():
    # Medians alone: 2346 / 2369 = 0.99. Round by round: 1.49, 1.21, 0.71.
    results = [
        ("SQLite", "django-jobs database", [{"drain": 3526}, {"drain": 2346}, {"drain": 1938}]),
        ("Redis", "raw huey (RedisHuey)", [{"drain": 2369}, {"drain": 1938}, {"drain": 2724}]),
    ]
    lines = render(results).splitlines()
    assert lines[1].split()[-7:] == ["1.49", "1.21", "0.71", "1.21", ">=", "1", "met"]


def test_a_missed_target_says_so_and_unmeasured_or_failed_rows_are_left_out():
    results = [
        ("PostgreSQL", "django-jobs database", [{"p50": 30.0, "drain": 500.0}]),
        ("PostgreSQL", "django-tasks-db", "RuntimeError: timed out"),
    ]
    lines = render(results).splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("database mode on PostgreSQL start p50 ms")
    assert lines[1].split()[-4:] == ["30.00", "<", "20", "MISSED"]
    assert render([]) == ""


def test_a_row_that_failed_in_a_later_round_is_compared_on_the_rounds_it_ran():
    results = [
        ("SQLite", "django-jobs database", [{"drain": 3000}, {"drain": 1000}]),
        ("Redis", "raw huey (RedisHuey)", [{"drain": 1000}, {"drain": 1000}, {"drain": 9000}]),
    ]
    assert "3.00 1.00" in render(results)
