"""``python -m django_jobs.probe PATH --max-age SECONDS``: is this worker process alive?

The liveness probe for one ``run_jobs --health-file PATH`` process: exit 0 when
the file was touched within ``--max-age`` seconds, 1 when it is older or missing
(the worker is stuck, frozen or gone), 2 on bad arguments.

It imports neither Django nor the project's settings and opens no connection:
a probe runs every few seconds in every pod, and ``manage.py`` would load the
whole project each time (about a second of CPU), and could fail for reasons
that restarting this process would not fix (a database that is down).
"""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def max_age(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not 0 < number < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {value!r}")
    return number


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m django_jobs.probe",
        description="Exit 0 when a run_jobs --health-file is fresh, 1 when stale or missing.",
    )
    parser.add_argument("path", type=Path, help="the file given to run_jobs --health-file")
    parser.add_argument(
        "--max-age",
        type=max_age,
        default=60.0,
        help="seconds since the last touch before the worker counts as dead (default 60)",
    )
    return parser


def problem(path: Path, limit: float, now: float | None = None) -> str | None:
    """None when ``path`` is fresh, else a sentence for the probe's log."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return f"{path} does not exist: the worker is not running (or has no --health-file)"
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror or exc}"
    if age > limit:
        return f"{path} was last touched {age:.0f}s ago (more than {limit:g}s)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    found = problem(args.path, args.max_age)
    if found is not None:
        print(f"unhealthy: {found}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
