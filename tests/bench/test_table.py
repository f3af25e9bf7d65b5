"""The side-by-side benchmark's table helpers (the benchmark itself is never run by tests)."""

from bench.rows import ROWS, select
from bench.table import FIGURES, cell, render, summary


def test_summary_is_median_min_max_over_runs_that_have_the_figure():
    runs = [{"drain": 30.0}, {"drain": 10.0}, {"drain": 20.0, "bulk": 5.0}]
    assert summary(runs, "drain") == (20.0, 10.0, 30.0)
    assert summary(runs, "bulk") == (5.0, 5.0, 5.0)
    assert summary(runs, "p50") is None


def test_cells_show_a_dash_for_missing_figures_and_no_range_for_one_run():
    assert cell([{"drain": 1.0}, {"drain": 3.0}, {"drain": 2.0}], "drain", 0) == "2 [1-3]"
    assert cell([{"p50": 1.25}], "p50", 1) == "1.2"
    assert cell([{"enqueue": 1.0}], "drain", 0) == "-"


def test_render_groups_rows_and_reports_failures_in_place():
    results = [
        ("SQLite", "ours", [{"enqueue": 100.0, "drain": 50.0, "p50": 1.0, "p95": 2.0}]),
        ("SQLite", "theirs", "RuntimeError: timed out"),
        ("Redis", "ours", [{"enqueue": 900.0}]),
    ]
    lines = render(results, FIGURES).splitlines()
    assert lines[0].split()[:2] == ["system", "enqueue/s"]
    assert lines[1].startswith("-- SQLite --")
    assert lines[2].split() == ["ours", "100", "-", "50", "1.0", "2.0"]
    assert lines[3].endswith("failed: RuntimeError: timed out")
    assert lines[4].startswith("-- Redis --")
    assert lines[5].split() == ["ours", "900", "-", "-", "-", "-"]
    assert len({len(line) for line in (lines[0], lines[2], lines[5])}) == 1


def test_select_matches_group_or_label():
    assert select([]) == list(ROWS)
    postgres = select(["postgresql"])
    assert all(row in postgres for row in ROWS if row.group == "PostgreSQL")
    assert "django-jobs huey, PostgreSQL history" in [row.label for row in postgres]
    assert [row.label for row in select(["celery"])] == ["Celery, Redis broker"]
