"""Database mode next to django-tasks-db and the raw SQL loops, on SQLite and PostgreSQL.

    .venv/bin/python bench/db_drain.py [side_by_side.py options]

A shortcut for ``bench/side_by_side.py --only "django-jobs database" tasks-db "raw SQL"``:
the same rows, settings and table as the full comparison.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.side_by_side import main  # noqa: E402

if __name__ == "__main__":
    main(["--only", "django-jobs database", "tasks-db", "raw SQL", *sys.argv[1:]])
