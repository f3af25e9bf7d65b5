"""``run_jobs --processes N``: a parent that runs N worker processes and keeps them running.

Threads share one interpreter; for CPU-bound jobs, or to survive a job that
crashes its process, run several processes. The parent restarts a child that
dies (a crash, an OOM kill) or that exits after ``--max-jobs`` (recycling), and
forwards SIGTERM/SIGINT so every child drains or hands back exactly as a single
worker would. In ``--burst`` mode it exits once every child has exited.
"""

import logging
import os
import signal
import subprocess
import sys

from django.conf import settings

from django_jobs.worker.stopping import StopSignals

logger = logging.getLogger("django_jobs")

POLL = 0.5


def child_command(child_args: list[str]) -> tuple[list[str], dict[str, str]]:
    """How to start one worker process with the same settings and import path."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    return [sys.executable, "-m", "django", "run_jobs", *child_args], env


class Supervisor:
    def __init__(self, child_args: list[str], processes: int, *, burst: bool) -> None:
        self.command, self.env = child_command(child_args)
        self.processes = processes
        self.burst = burst
        self.signals = StopSignals()
        self.children: list[subprocess.Popen] = []

    def run(self) -> int:
        self.signals.install()
        self.children = [self._spawn() for _ in range(self.processes)]
        while not self.signals.stop.wait(POLL):
            if self._replace_exited():
                return 0  # burst: every child has finished its work
        return self._stop_children()

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(self.command, env=self.env)

    def _replace_exited(self) -> bool:
        for index, child in enumerate(self.children):
            code = child.poll()
            if code is None or (self.burst and code == 0):
                continue
            if code != 0:
                logger.warning(
                    "Worker process %d exited with %d; starting another", child.pid, code
                )
            self.children[index] = self._spawn()
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
            self.signals.force.wait(POLL)
        return max(abs(child.returncode) for child in self.children)
