"""``run_jobs --processes N``: a parent that runs N worker processes and keeps them running.

Threads share one interpreter; for CPU-bound jobs, or to survive a job that
crashes its process, run several processes. The parent restarts a child that
dies (a crash, an OOM kill) or that exits after ``--max-jobs`` (recycling), and
forwards SIGTERM/SIGINT so every child drains or hands back exactly as a single
worker would. In ``--burst`` mode it exits once every child has exited.

With ``--health-file PATH`` each child touches its own ``PATH.1`` ... ``PATH.N``
and the parent touches ``PATH`` while every child's file is fresh (a child just
started gets until its first touch), so one probe of ``PATH`` speaks for the
whole group, and a stuck child makes it fail even though the parent is fine.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from django_jobs.conf import get_settings
from django_jobs.worker.health import HealthFile
from django_jobs.worker.stopping import EXIT_FORCED, EXIT_OK, StopSignals

logger = logging.getLogger("django_jobs")

POLL = 0.5
STARTUP_SECONDS = 60.0  # a new child's time to touch its file for the first time


def child_command(child_args: list[str]) -> tuple[list[str], dict[str, str]]:
    """How to start one worker process with the same settings and import path."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    return [sys.executable, "-m", "django", "run_jobs", *child_args], env


class Supervisor:
    def __init__(
        self, child_args: list[str], processes: int, *, burst: bool, health: str | None = None
    ) -> None:
        self.command, self.env = child_command(child_args)
        self.processes = processes
        self.burst = burst
        self.signals = StopSignals()
        self.children: list[subprocess.Popen] = []
        self.health = HealthFile(health) if health else None
        self._spawned_at: dict[int, float] = {}
        # A child touches its file every heartbeat; three missed beats make it stale.
        self.child_stale_after = 3 * get_settings().heartbeat_seconds + 1

    def run(self) -> int:
        self.signals.install()
        try:
            self.children = [self._spawn(slot) for slot in range(self.processes)]
            while not self.signals.stop.wait(POLL):
                if self._replace_exited():
                    return 0  # burst: every child has finished its work
                self._report_health()
            return self._stop_children()
        finally:
            if self.health is not None:
                self.health.remove()

    def _child_health_file(self, slot: int) -> Path | None:
        return None if self.health is None else Path(f"{self.health.path}.{slot + 1}")

    def _spawn(self, slot: int) -> subprocess.Popen:
        command = self.command
        if (path := self._child_health_file(slot)) is not None:
            path.unlink(missing_ok=True)  # a fresh file must come from the new child
            command = [*command, "--health-file", str(path)]
        self._spawned_at[slot] = time.monotonic()
        return subprocess.Popen(command, env=self.env)

    def _report_health(self) -> None:
        if self.health is not None and all(map(self._child_healthy, range(self.processes))):
            self.health.touch()

    def _child_healthy(self, slot: int) -> bool:
        if self.burst and self.children[slot].poll() == 0:
            return True  # finished its work; it will not be replaced
        path = self._child_health_file(slot)
        assert path is not None
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return time.monotonic() - self._spawned_at[slot] < STARTUP_SECONDS
        return age <= self.child_stale_after

    def _replace_exited(self) -> bool:
        for index, child in enumerate(self.children):
            code = child.poll()
            if code is None or (self.burst and code == 0):
                continue
            if code != 0:
                logger.warning(
                    "Worker process %d exited with %d; starting another", child.pid, code
                )
            self.children[index] = self._spawn(index)
        return self.burst and all(child.poll() == 0 for child in self.children)

    def _stop_children(self) -> int:
        forwarded_force = False
        for child in self.children:
            child.send_signal(signal.SIGTERM)
        while any(child.poll() is None for child in self.children):
            if self.signals.force.is_set() and not forwarded_force:
                for child in self.children:
                    if child.poll() is None:
                        child.send_signal(signal.SIGINT)
                forwarded_force = True
            if self.health is not None:
                self.health.touch()  # the children are draining, as they should
            self.signals.force.wait(POLL)
        return max(_stopped_child_exit(child.returncode) for child in self.children)


def _stopped_child_exit(returncode: int) -> int:
    """A stopped child's exit as the group's exit code.

    A child still starting (Django's set-up comes before ``run_jobs`` installs its
    handlers) dies of the signal it was sent: killed by SIGTERM it had claimed
    nothing, a clean stop (0); killed by the forced stop's SIGINT, a forced stop (1).
    """
    if returncode == -signal.SIGTERM:
        return EXIT_OK
    if returncode == -signal.SIGINT:
        return EXIT_FORCED
    return abs(returncode)
