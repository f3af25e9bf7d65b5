"""The soak's loop: steady enqueueing, two workers, a SIGKILL every 20-40 s, then a drain.

Kept apart from ``soak.py`` (which starts servers and Django) so that it can be
read, and reused, as plain code over a configured Django. The result is an
``Audit`` of the whole run plus what only a long run can show: restarts,
crashes and the workers' peak memory.
"""

import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import tasks
from tests.faults.audit import Audit
from tests.faults.harness import Drill
from tests.worker.helpers import WorkerProcess

WORKERS = 2
TICK = 0.1


@dataclass
class SoakResult:
    audit: Audit
    seconds: float
    restarts: int = 0
    crashes: int = 0
    max_rss_kib: int = 0
    drain_seconds: float = 0.0
    exit_codes: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing lost, nothing run twice without a kill to explain it, no crash."""
        stopped_cleanly = all(code == 0 for code in self.exit_codes)
        return not self.audit.problems() and not self.crashes and stopped_cleanly


def peak_rss_kib(worker: WorkerProcess) -> int:
    """The process's peak resident set (VmHWM) in KiB; 0 once it is gone."""
    try:
        status = Path(f"/proc/{worker.process.pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class SoakLoad:
    def __init__(self, drill: Drill, *, rate: float, job_seconds: float) -> None:
        self.drill = drill
        self.rate = rate
        self.job_seconds = job_seconds
        self.crashes = 0
        self.max_rss_kib = 0

    def run(self, minutes: float, kill_every: tuple[float, float] = (20, 40)) -> SoakResult:
        started = time.monotonic()
        for _ in range(WORKERS):
            self.drill.start()
        end = started + 60 * minutes
        next_kill = started + random.uniform(*kill_every)
        while (now := time.monotonic()) < end:
            self._enqueue_due(now - started)
            self._watch_workers()
            if now >= next_kill:
                self._sample_rss()
                self.drill.kill_one_and_restart()
                next_kill = now + random.uniform(*kill_every)
            time.sleep(TICK)
        return self._drain(started)

    def _enqueue_due(self, elapsed: float) -> None:
        while self.drill.enqueued < int(elapsed * self.rate):
            tasks.drill.enqueue(self.drill.enqueued, random.uniform(0, 2 * self.job_seconds))
            self.drill.enqueued += 1

    def _watch_workers(self) -> None:
        """Restart a worker that exited on its own: a crash, counted against the run."""
        self._sample_rss()
        for worker in self.drill.workers:
            pid = worker.process.pid
            if worker.process.poll() is not None and pid not in self.drill.faulted_pids:
                print(f"worker {pid} exited on its own:\n{worker.output}", file=sys.stderr)
                self.drill.faulted_pids.add(pid)
                self.crashes += 1
                self.drill.start()

    def _sample_rss(self) -> None:
        peaks = [peak_rss_kib(worker) for worker in self.drill.alive()]
        self.max_rss_kib = max([self.max_rss_kib, *peaks])

    def _drain(self, started: float) -> SoakResult:
        drain_started = time.monotonic()
        deadline = drain_started + 300
        while self.drill.unfinished() and time.monotonic() < deadline:
            self._watch_workers()
            time.sleep(0.5)
        drained = time.monotonic() - drain_started
        self._sample_rss()
        exit_codes = self.drill.stop_all()
        return SoakResult(
            audit=self.drill.audit(),
            seconds=time.monotonic() - started,
            restarts=self.drill.restarts,
            crashes=self.crashes,
            max_rss_kib=self.max_rss_kib,
            drain_seconds=drained,
            exit_codes=exit_codes,
        )


def report(result: SoakResult, title: str) -> str:
    """The table the soak prints: one row per figure, problems listed below it."""
    audit = result.audit
    rows = [
        ("jobs enqueued", audit.enqueued),
        ("completed", audit.successful),
        ("failed", audit.failed),
        ("task runs (ledger starts)", audit.runs),
        ("reruns explained by a kill", audit.explained_reruns),
        ("duplicates (unexplained runs)", audit.duplicate_runs),
        ("lost (enqueued, not finished)", len(audit.lost)),
        ("inconsistent rows", len(audit.inconsistent)),
        ("worker restarts (SIGKILL)", result.restarts),
        ("worker crashes", result.crashes),
        ("leases rescued (WorkerLost)", audit.worker_lost),
        ("  of which from live workers", audit.rescued_from_live),
        ("max worker RSS (VmHWM)", f"{result.max_rss_kib / 1024:.1f} MiB"),
        ("run time", f"{result.seconds:.0f} s"),
        ("drain after the last enqueue", f"{result.drain_seconds:.1f} s"),
        ("exit codes at the final SIGTERM", ", ".join(map(str, result.exit_codes))),
        ("verdict", "clean" if result.clean else "FAILED"),
    ]
    width = max(len(name) for name, _ in rows)
    values = max(len(str(value)) for _, value in rows)
    lines = [title, "", f"| {'':{width}} | {'value':>{values}} |"]
    lines.append(f"|{'-' * (width + 2)}|{'-' * (values + 1)}:|")
    lines += [f"| {name:{width}} | {value!s:>{values}} |" for name, value in rows]
    lines += [f"  - {problem}" for problem in audit.problems()[:20]]
    return "\n".join(lines)
