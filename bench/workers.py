"""Worker processes of one benchmark row: start them, watch them, read their memory, stop them.

Each command runs in its own session, so a worker that forks (Celery's prefork pool,
django-q2's cluster) can be stopped with all its children, and its memory is the sum
over its whole process tree.
"""

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = Path(tempfile.gettempdir()) / "bench-workers.log"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class WorkerGroup:
    """The worker processes of one run, started together and stopped together."""

    def __init__(self, commands: list[list[str]]) -> None:
        self.commands = commands
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.processes: list[subprocess.Popen] = []

    def start(self) -> "WorkerGroup":
        with open(LOG, "ab") as log:
            self.processes = [
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
                for command in self.commands
            ]
        return self

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"a worker exited early ({process.args!r}); see {LOG}")

    def rss_bytes(self) -> int:
        """VmRSS summed over every worker process and its descendants."""
        return sum(rss_of(pid) for pid in self._tree_pids())

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far by every worker process and descendant."""
        return sum(cpu_of(pid) for pid in self._tree_pids())

    def settle(self, idle_share: float = 0.05, window: float = 0.5, limit: float = 60.0) -> None:
        """Wait until the workers use less than ``idle_share`` of a core over ``window`` s.

        After a drain some systems still have work in flight (saving results, history
        writes); latency is meant to be sampled into idle workers.
        """
        deadline = time.monotonic() + limit
        used = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(window)
            now = self.cpu_seconds()
            if now - used < idle_share * window:
                return
            used = now

    def _tree_pids(self) -> list[int]:
        parents = process_parents()
        tree = {process.pid for process in self.processes}
        grew = True
        while grew:
            children = {pid for pid, ppid in parents.items() if ppid in tree} - tree
            tree |= children
            grew = bool(children)
        return sorted(tree)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (each system's graceful stop), then SIGKILL the whole group if it lingers."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            kill_group(process.pid)

    def __enter__(self) -> "WorkerGroup":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def kill_group(pgid: int) -> None:
    """Kill what is left of a session we started (pool children orphaned by their parent)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def process_parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
