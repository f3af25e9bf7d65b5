"""``manage.py run_jobs`` that says where its memory is each time it gets SIGUSR1.

Run by ``bench/worker_memory.py``: on each SIGUSR1 the worker appends one JSON line to
the file named by ``MEMORY_REPORT``: its resident memory, the memory blocks Python's
allocator holds (a leak of Python objects makes this count grow), and the memory
SQLite holds, which is mostly the page caches of the worker's connections.
"""

import ctypes
import ctypes.util
import gc
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def sqlite_bytes() -> int | None:
    """``sqlite3_memory_used()`` of the SQLite library Python's sqlite3 module loaded."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None  # SQLite linked into the module itself: its counters are not reachable
    library = ctypes.CDLL(name)
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library.sqlite3_memory_used()


def report(*_: Any) -> None:
    gc.collect()
    figures = {
        "rss": resident_bytes(),
        "python_blocks": sys.getallocatedblocks(),
        "sqlite": sqlite_bytes(),
    }
    with open(os.environ["MEMORY_REPORT"], "a") as out:
        out.write(json.dumps(figures) + "\n")


def main() -> None:
    signal.signal(signal.SIGUSR1, report)
    sys.path.insert(0, str(ROOT))
    from django.core.management import execute_from_command_line

    execute_from_command_line(
        ["manage.py", "run_jobs", "--queue", "default", "--concurrency", "4", "--no-scheduler"]
    )


if __name__ == "__main__":
    main()
