"""Huey mode against raw huey and the other Redis rows: same Redis, same job, same workers.

    .venv/bin/python bench/huey_vs_raw.py [side_by_side.py options]

A shortcut for ``bench/side_by_side.py --only Redis``: the same rows, settings and table
as the full comparison.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.side_by_side import main  # noqa: E402

if __name__ == "__main__":
    main(["--only", "Redis", *sys.argv[1:]])
