"""Start real ``manage.py run_jobs`` processes against the test database."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the test database this pytest process is using."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


class WorkerProcess:
    """A ``run_jobs`` process (and any children it starts) in its own process group.

    Every one started is reaped after its test (``tests/conftest.py``), so a test that
    fails half-way cannot leave a worker running jobs of the tests that follow.
    """

    started: ClassVar[list["WorkerProcess"]] = []

    def __init__(self, *args: str, ledger: Path | None = None, env: dict | None = None) -> None:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "JOBS_LOG_LEVEL": "INFO",
            **(env or {}),
        }
        if ledger is not None:
            environment["JOBS_TEST_LEDGER"] = str(ledger)
        # A file, not a pipe: a full pipe would block a chatty worker.
        fd, self._log_path = tempfile.mkstemp(prefix="worker-", suffix=".log")
        with os.fdopen(fd, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "run_jobs", *args],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        WorkerProcess.started.append(self)

    @classmethod
    def reap_all(cls) -> None:
        """SIGKILL what is left of every worker started so far, children included;
        delete their logs (a failing test has quoted ``output`` already)."""
        while cls.started:
            worker = cls.started.pop()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()
            Path(worker._log_path).unlink(missing_ok=True)

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    @property
    def output(self) -> str:
        return Path(self._log_path).read_text()[-5000:]


def wait_until(condition, timeout: float = 30, interval: float = 0.05, describe=None) -> None:
    """Poll ``condition`` until true; on timeout, fail saying ``describe()`` if given."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            seen = f": {describe()}" if describe is not None else ""
            raise AssertionError(f"condition not met within {timeout}s{seen}")
        time.sleep(interval)


def ledger_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def drill_jobs_claimed_ahead_behind_a_slow_one(start, ledger: Path) -> None:
    """A worker that claimed ahead while jobs were fast, then got stuck on a slow one,
    hands back what waits behind it: another worker runs those long before it is free.

    ``start(*args)`` starts a ``WorkerProcess`` of the mode under test writing to ``ledger``.
    """
    from django.db import transaction

    from django_jobs.models import Job
    from tests import tasks

    with transaction.atomic():
        for n in range(100):
            tasks.record.enqueue(n)
        tasks.sleep_then_record.enqueue("slow", 8)
        for n in range(100, 200):
            tasks.record.enqueue(n)
    stuck = start("--concurrency", "1", "--no-scheduler")
    wait_until(lambda: "start slow" in ledger_lines(ledger), timeout=60)
    other = start("--concurrency", "1", "--no-scheduler")
    wait_until(lambda: "end slow" in ledger_lines(ledger), timeout=60)
    lines = ledger_lines(ledger)
    assert sorted(int(line) for line in lines[: lines.index("end slow")] if line.isdigit()) == (
        list(range(200))
    )  # every fast job ran, and once, before the slow one ended
    for worker in (stuck, other):
        worker.signal()
        assert worker.wait() == 0, worker.output
    assert "handed back" in stuck.output, stuck.output
    assert Job.objects.filter(status="SUCCESSFUL").count() == 201
