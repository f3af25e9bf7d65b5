"""Runs to table: median of each figure with its min and max, "-" where a row has none."""

import statistics
from collections.abc import Sequence

Column = tuple[str, str, int]  # figure key, heading, decimals
Result = tuple[str, str, list[dict] | str]  # group, label, runs or why the row failed

FIGURES: list[Column] = [
    ("enqueue", "enqueue/s", 0),
    ("bulk", "bulk enqueue/s", 0),
    ("drain", "drain/s", 0),
    ("p50", "start p50 ms", 1),
    ("p95", "start p95 ms", 1),
]


def memory(marks: Sequence[int]) -> list[Column]:
    """Columns of worker RSS after each number of jobs."""
    return [(f"rss{mark}", f"RSS MiB @{mark:,} jobs", 0) for mark in marks]


def summary(runs: Sequence[dict], key: str) -> tuple[float, float, float] | None:
    """Median, min and max of one figure over the runs that have it."""
    values = [run[key] for run in runs if key in run]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def cell(runs: Sequence[dict], key: str, decimals: int) -> str:
    found = summary(runs, key)
    if found is None:
        return "-"
    median, low, high = (f"{value:.{decimals}f}" for value in found)
    return median if len(runs) == 1 else f"{median} [{low}-{high}]"


def render(results: Sequence[Result], columns: Sequence[Column]) -> str:
    """A plain-text table, one section per group, columns as wide as their widest cell."""
    cells = {
        index: [cell(runs, key, decimals) for key, _, decimals in columns]
        for index, (_, _, runs) in enumerate(results)
        if not isinstance(runs, str)
    }
    label_width = max([len("system")] + [len(label) for _, label, _ in results]) + 2
    widths = [
        max([len(heading)] + [len(row[i]) for row in cells.values()]) + 2
        for i, (_, heading, _) in enumerate(columns)
    ]
    total = label_width + sum(widths)
    headings = (heading.rjust(w) for (_, heading, _), w in zip(columns, widths, strict=True))
    lines = ["system".ljust(label_width) + "".join(headings)]
    group = None
    for index, (row_group, label, runs) in enumerate(results):
        if row_group != group:
            lines.append(f"-- {row_group} ".ljust(total, "-"))
            group = row_group
        if isinstance(runs, str):
            lines.append(f"{label.ljust(label_width)}failed: {runs}")
        else:
            lines.append(
                label.ljust(label_width)
                + "".join(c.rjust(w) for c, w in zip(cells[index], widths, strict=True))
            )
    return "\n".join(lines)
