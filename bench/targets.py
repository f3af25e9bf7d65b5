"""The table's targets, checked on the runs of the same table.

A ratio between two rows is taken round by round (a row's n-th run against the other
row's n-th run, minutes apart at most) and the median of those is the figure: the
machine's speed drifts by tens of percent over a table, and a ratio of two medians can
pair one row's fast round with the other's slow one. The rows that are compared run next
to each other in every round (``rows.ROUND_ORDER``). A row's runs are its rounds in
order: a row whose process fails answers no later round.
"""

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.table import Result

Key = tuple[str, str]  # group, label


@dataclass(frozen=True)
class Target:
    text: str
    figure: Callable[[dict[Key, list[dict]]], list[float] | None]  # one value per round
    goal: float
    at_least: bool = True  # else: below ``goal``

    def met(self, value: float) -> bool:
        return value >= self.goal if self.at_least else value < self.goal


def ratio(top: Key, top_figure: str, bottom: Key, bottom_figure: str) -> Callable:
    """Round by round: ``top``'s figure over ``bottom``'s."""

    def per_round(runs: dict[Key, list[dict]]) -> list[float] | None:
        if top not in runs or bottom not in runs:
            return None
        pairs = zip(runs[top], runs[bottom], strict=False)
        return [
            a[top_figure] / b[bottom_figure]
            for a, b in pairs
            if top_figure in a and b.get(bottom_figure)
        ]

    return per_round


def figure(row: Key, name: str) -> Callable:
    def per_round(runs: dict[Key, list[dict]]) -> list[float] | None:
        return [run[name] for run in runs[row] if name in run] if row in runs else None

    return per_round


SQLITE_DB = ("SQLite", "django-jobs database")
POSTGRES_DB = ("PostgreSQL", "django-jobs database")
HUEY_SQLITE = ("Redis", "django-jobs huey, SQLite history")
HUEY_POSTGRES = ("Redis", "django-jobs huey, PostgreSQL history")
RAW_HUEY = ("Redis", "raw huey (RedisHuey)")
TASKS_DB_POSTGRES = ("PostgreSQL", "django-tasks-db")
SKIP_LOCKED = ("PostgreSQL", "raw SQL loop, SKIP LOCKED")
CELERY = ("Redis", "Celery, Redis broker")

HUEY_MODES = (
    ("huey mode (SQLite history)", HUEY_SQLITE),
    ("huey mode (PostgreSQL history)", HUEY_POSTGRES),
)
DATABASE_MODES = (
    ("database mode on SQLite", SQLITE_DB),
    ("database mode on PostgreSQL", POSTGRES_DB),
)


def drained(top: Key, bottom: Key) -> Callable:
    return ratio(top, "drain", bottom, "drain")


TARGETS = (
    Target("database mode on SQLite drain / raw huey", drained(SQLITE_DB, RAW_HUEY), 1.0),
    Target(
        "database mode on PostgreSQL drain / django-tasks-db",
        drained(POSTGRES_DB, TASKS_DB_POSTGRES),
        3.0,
    ),
    Target(
        "database mode on PostgreSQL drain / raw SKIP LOCKED loop",
        drained(POSTGRES_DB, SKIP_LOCKED),
        0.6,
    ),
    *(Target(f"{name} drain / raw huey", drained(row, RAW_HUEY), 0.75) for name, row in HUEY_MODES),
    *(
        Target(f"{name} enqueue / Celery", ratio(row, "enqueue", CELERY, "enqueue"), 1.0)
        for name, row in HUEY_MODES
    ),
    *(
        Target(f"{name} start p50 ms", figure(row, "p50"), goal, at_least=False)
        for name, row, goal in (
            ("database mode on PostgreSQL", POSTGRES_DB, 20),
            ("database mode on SQLite", SQLITE_DB, 100),
            *((name, row, 5) for name, row in HUEY_MODES),
        )
    ),
    *(
        Target(f"{name} bulk / one-by-one enqueue", ratio(row, "bulk", row, "enqueue"), 10.0)
        for name, row in (*DATABASE_MODES, *HUEY_MODES)
    ),
)


def render(results: Sequence[Result]) -> str:
    """One line per target whose rows were measured: each round, the median, the goal."""
    runs = {(group, label): rows for group, label, rows in results if not isinstance(rows, str)}
    lines = []
    for target in TARGETS:
        values = target.figure(runs)
        if not values:
            continue
        median = statistics.median(values)
        rounds = " ".join(f"{value:.2f}" for value in values)
        goal = f"{'>=' if target.at_least else '<'} {target.goal:g}"
        verdict = "met" if target.met(median) else "MISSED"
        lines.append((target.text, rounds, f"{median:.2f}", goal, verdict))
    if not lines:
        return ""
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    heading = ("target", "round by round", "median", "goal", "")
    widths = [max(w, len(h)) for w, h in zip(widths, heading, strict=True)]
    return "\n".join(
        "  ".join(part.ljust(w) for part, w in zip(line, widths, strict=True)).rstrip()
        for line in (heading, *lines)
    )
