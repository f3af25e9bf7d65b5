"""``run_jobs --health-file PATH``: a file whose age says whether this one process is alive.

``jobs_status --check`` looks at the whole cluster (any live worker, queue
backlog); as a per-pod liveness probe it would restart every pod when the
backlog grows, which helps nothing. This file speaks for one process only: the
maintenance thread touches it on every tick while the main loop keeps coming
round. A worker retrying a database that is down stays fresh, since restarting
it would not bring the database back; a worker whose maintenance thread or main
loop is stuck (a deadlock, a frozen process) stops touching it, and
``python -m django_jobs.probe`` then fails.
"""

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

STALL_SECONDS = 60.0  # longest a main loop may take to come round beyond a wait it announced
MIN_TOUCH_INTERVAL = 1.0

logger = logging.getLogger("django_jobs")


class LoopWatch:
    """When the main loop last came round, and how long it said it might wait.

    A loop calls ``turned()`` each time round; before a long, deliberate wait (an idle
    worker listening for new jobs) it calls ``turned(waiting=seconds)`` so the wait
    does not count as a stall.
    """

    def __init__(
        self, stall_after: float = STALL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stall_after = stall_after
        self.clock = clock
        self._deadline = clock() + stall_after

    def turned(self, waiting: float = 0.0) -> None:
        self._deadline = self.clock() + waiting + self.stall_after

    def healthy(self) -> bool:
        return self.clock() <= self._deadline


class HealthFile:
    """The file itself: touched while the worker is healthy, removed when it exits.

    ``check_writable`` creates it when ``run_jobs`` starts, so a bad path fails early.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._touched_at = -MIN_TOUCH_INTERVAL
        self._failing = False

    def touch(self) -> None:
        if time.monotonic() - self._touched_at < MIN_TOUCH_INTERVAL:
            return
        try:
            self.path.touch()
        except OSError as exc:
            # The probe will report a stale file; the worker itself goes on. Said once, not
            # every tick, until a touch succeeds again.
            if not self._failing:
                logger.warning("Cannot touch the health file %s: %s", self.path, exc)
            self._failing = True
            return
        self._failing = False
        self._touched_at = time.monotonic()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def check_writable(path: str) -> str | None:
    """None when ``path`` can be written as a health file, else a sentence saying why not."""
    target = Path(path)
    if target.is_dir():
        return f"--health-file {path}: is a directory"
    try:
        target.touch()
    except OSError as exc:
        return f"--health-file {path}: cannot write it ({exc.strerror or exc})"
    return None
