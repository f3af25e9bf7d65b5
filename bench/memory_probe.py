"""``manage.py run_jobs`` that says where its memory is each time it gets SIGUSR1.

Run by ``bench/worker_memory.py``: on each SIGUSR1 the worker appends one JSON line to
the file named by ``MEMORY_REPORT``: its resident memory, the memory blocks Python's
allocator holds (a leak of Python objects makes this count grow), the arenas that
allocator has mapped for its small blocks and the bytes in use in them (arenas growing
while the bytes in them do not is fragmentation: an arena is returned only once all of
its blocks are free), and the memory SQLite holds, which is mostly the page caches of
the worker's connections.
"""

import ctypes
import ctypes.util
import gc
import json
import os
import re
import signal
import sys
import tempfile
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


def small_object_arenas() -> tuple[int, int]:
    """Bytes of the arenas Python's small-object allocator has mapped, and bytes in use in
    them, as ``sys._debugmallocstats()`` prints them (to the C-level stderr)."""
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        text = captured.read().decode()

    def figure(label: str) -> int:
        found = re.search(rf"^{label}\s*=\s*([\d,]+)", text, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"no {label!r} in sys._debugmallocstats()")
        return int(found.group(1).replace(",", ""))

    return figure(r"\d+ arenas \* \d+ bytes/arena"), figure("# bytes in allocated blocks")


def report(*_: Any) -> None:
    gc.collect()
    figures = {
        "rss": resident_bytes(),
        "python_blocks": sys.getallocatedblocks(),
        "arenas": small_object_arenas(),
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
