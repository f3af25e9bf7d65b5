"""Check a fault run against the invariants, from the ledger and the Job table alone.

The ledger (``tests.tasks.drill``) says which attempts of which job really ran;
the Job table says what the system believes. An audit compares the two: every
enqueued job ended, no attempt started twice (a double claim), and a job ran
again only once per lost run of a worker we faulted (killed or frozen), which
its ``errors`` must show as a ``WorkerLost``.
"""

import collections
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_jobs.models import Job

TASK_PATH = "tests.tasks.drill"
WORKER_LOST = "django_jobs.exceptions.WorkerLost"
END_STATES = frozenset({"SUCCESSFUL", "FAILED", "CANCELLED"})


@dataclass
class Runs:
    """What the ledger says about one job: how often each attempt started and ended."""

    started: collections.Counter = field(default_factory=collections.Counter)
    ended: collections.Counter = field(default_factory=collections.Counter)


def read_ledger(path: Path) -> dict[int, Runs]:
    runs: dict[int, Runs] = collections.defaultdict(Runs)
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        kind, n, attempt = line.split()
        getattr(runs[int(n)], "started" if kind == "start" else "ended")[int(attempt)] += 1
    return runs


@dataclass
class Audit:
    """The counts a fault test asserts on and the soak prints."""

    enqueued: int = 0
    successful: int = 0
    failed: int = 0
    running: int = 0
    runs: int = 0
    explained_reruns: int = 0
    duplicate_runs: int = 0
    worker_lost: int = 0
    rescued_from_live: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything that breaks an invariant, one sentence each (empty when all held)."""
        return [*self.lost, *self.duplicates, *self.inconsistent]


def audit(numbers: Iterable[int], ledger: Path, faulted_workers: set[str]) -> Audit:
    """Audit the drill jobs numbered ``numbers`` (those the caller enqueued)."""
    runs = read_ledger(ledger)
    jobs = {job.args[0]: job for job in Job.objects.filter(task_path=TASK_PATH).iterator()}
    result = Audit()
    for n in numbers:
        result.enqueued += 1
        job = jobs.get(n)
        if job is None:
            result.lost.append(f"job {n} was enqueued but has no row")
            continue
        _check(result, n, job, runs.get(n, Runs()), faulted_workers)
    return result


def _check(result: Audit, n: int, job: Any, runs: Runs, faulted: set[str]) -> None:
    result.successful += job.status == "SUCCESSFUL"
    result.failed += job.status == "FAILED"
    result.running += job.status == "RUNNING"
    result.runs += sum(runs.started.values())
    if job.status not in END_STATES:
        result.lost.append(f"job {n} is still {job.status} after {job.attempts} attempt(s)")
    if job.attempts != len(job.worker_ids):
        result.inconsistent.append(f"job {n}: attempts={job.attempts}, {job.worker_ids=}")
    lost_runs = [e for e in job.errors if e["exception_class_path"] == WORKER_LOST]
    explained = sum(e["worker_id"] in faulted for e in lost_runs)
    result.worker_lost += len(lost_runs)
    result.rescued_from_live += len(lost_runs) - explained
    twice = sorted(a for a, count in runs.started.items() if count > 1)
    reruns = max(0, len(runs.started) - 1)
    result.explained_reruns += min(reruns, explained)
    result.duplicate_runs += sum(runs.started[a] - 1 for a in twice) + max(0, reruns - explained)
    if twice:
        result.duplicates.append(f"job {n}: attempt(s) {twice} started more than once")
    if reruns > explained:
        result.duplicates.append(
            f"job {n} ran {len(runs.started)} times; only {explained} run(s) were lost to a fault"
        )
    if job.status == "SUCCESSFUL" and (
        job.return_value != job.attempts or not runs.ended[job.attempts]
    ):
        result.inconsistent.append(
            f"job {n}: result {job.return_value!r} is not that of its last attempt "
            f"({job.attempts}, ended: {sorted(runs.ended)})"
        )
