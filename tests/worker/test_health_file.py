"""``run_jobs --health-file`` with real worker processes, read by the real probe.

Test settings give a 2 s lease, so workers tick every 0.5 s and the health file
is touched about once a second.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from django_jobs.models import Job
from tests import tasks
from tests.worker.helpers import ROOT, WorkerProcess, ledger_lines, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MAX_AGE = "3"


def probe(path) -> subprocess.CompletedProcess:
    """The probe exactly as a Kubernetes exec probe runs it."""
    return subprocess.run(
        [sys.executable, "-m", "django_jobs.probe", str(path), "--max-age", MAX_AGE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def probe_passes(path) -> bool:
    return probe(path).returncode == 0


def stays_fresh(path, seconds: float = 4.0) -> None:
    """The probe passes throughout, and the file keeps being touched (not merely created)."""
    mtimes = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = probe(path)
        assert result.returncode == 0, result.stderr
        mtimes.add(path.stat().st_mtime)
        time.sleep(0.5)
    assert len(mtimes) >= 3


def freeze_until_the_probe_fails(pid: int, path) -> None:
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_until(lambda: not probe_passes(path), timeout=15, interval=0.5)
        assert "was last touched" in probe(path).stderr
    finally:
        os.kill(pid, signal.SIGCONT)


def test_a_worker_keeps_its_file_fresh_fails_the_probe_when_frozen_and_removes_it(tmp_path):
    health, ledger = tmp_path / "health", tmp_path / "ledger"
    worker = WorkerProcess("--health-file", str(health), ledger=ledger)
    wait_until(health.exists)
    tasks.record.enqueue(1)
    wait_until(lambda: ledger_lines(ledger) == ["1"])
    stays_fresh(health)
    freeze_until_the_probe_fails(worker.process.pid, health)
    wait_until(lambda: probe_passes(health), timeout=10)  # thawed: alive again
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    assert not health.exists()
    assert "does not exist" in probe(health).stderr


def test_a_file_left_by_a_killed_worker_goes_stale(tmp_path):
    health = tmp_path / "health"
    worker = WorkerProcess("--health-file", str(health))
    wait_until(lambda: health.exists() and probe_passes(health))
    worker.kill()
    assert health.exists()
    wait_until(lambda: not probe_passes(health), timeout=10, interval=0.5)


def test_the_file_stays_fresh_while_draining_and_goes_after_a_forced_stop(tmp_path):
    health = tmp_path / "health"
    result = tasks.sleep_then_record.enqueue(1, 30.0)
    worker = WorkerProcess("--health-file", str(health), "--grace", "60")
    wait_until(lambda: Job.objects.get(pk=result.id).status == "RUNNING")
    worker.signal(signal.SIGTERM)
    stays_fresh(health, seconds=4.0)  # the main loop has ended; the drain touches it
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 1, worker.output
    assert not health.exists()
    assert Job.objects.get(pk=result.id).status == "READY"  # handed back


def test_huey_worker_keeps_its_file_fresh_and_removes_it(tmp_path, huey_settings):
    health = tmp_path / "health"
    env = {"JOBS_TEST_BACKEND": "huey", "REDIS_URL": huey_settings.url}
    worker = WorkerProcess("--health-file", str(health), env=env)
    wait_until(health.exists)
    stays_fresh(health)
    freeze_until_the_probe_fails(worker.process.pid, health)
    wait_until(lambda: probe_passes(health), timeout=10)
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
    assert not health.exists()


def test_with_processes_one_frozen_child_fails_the_group_probe(tmp_path):
    health = tmp_path / "health"
    children = [tmp_path / "health.1", tmp_path / "health.2"]
    supervisor = WorkerProcess("--processes", "2", "--health-file", str(health))
    wait_until(lambda: all(path.exists() for path in [health, *children]))
    stays_fresh(health)
    child_pid = _pid_of(children[0])
    freeze_until_the_probe_fails(child_pid, health)
    wait_until(lambda: probe_passes(health), timeout=15)
    supervisor.signal(signal.SIGTERM)
    assert supervisor.wait() == 0, supervisor.output
    assert not any(path.exists() for path in [health, *children])


def _pid_of(child_file) -> int:
    """The pid of the worker process started with ``--health-file child_file``."""
    wanted = ["--health-file", str(child_file)]
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().decode().split("\0")
        except (OSError, ValueError):
            continue  # gone, or not a process directory
        if any(argv[i : i + 2] == wanted for i in range(len(argv))):
            return int(proc.name)
    raise AssertionError(f"no process runs with --health-file {child_file}")


@pytest.mark.parametrize(
    ("path", "message"),
    [("missing-dir/health", "No such file or directory"), (".", "is a directory")],
)
def test_a_health_file_that_cannot_be_written_is_refused_before_starting(tmp_path, path, message):
    with pytest.raises(CommandError, match=message):
        call_command("run_jobs", "--health-file", str(tmp_path / path))
    assert not Job.objects.exists()


def test_maintenance_touches_the_file_only_while_the_main_loop_comes_round(tmp_path):
    """A stuck main loop (here: a clock moved past the stall limit) stops the touches."""
    from django_jobs.worker import Worker, WorkerOptions

    health = tmp_path / "health"
    worker = Worker(WorkerOptions(health_file=str(health)))
    now = [0.0]
    worker.watch.clock = lambda: now[0]
    worker.watch.turned()
    worker._beat_health()
    assert health.exists()
    health.unlink()
    now[0] = worker.watch.stall_after + 1
    time.sleep(1.05)  # past the touch rate limit
    worker._beat_health()
    assert not health.exists()


@pytest.mark.postgres_only
def test_a_worker_waiting_for_its_database_stays_alive(tmp_path, postgres_server):
    """Restarting a worker would not bring the database back, so the probe keeps passing."""
    from django.db import connection

    health = tmp_path / "health"
    worker = WorkerProcess("--health-file", str(health))
    wait_until(lambda: health.exists() and probe_passes(health))
    connection.close()
    postgres_server.stop()
    try:
        time.sleep(2)  # several failed ticks
        stays_fresh(health)
        assert "maintenance failed" in worker.output  # it did see the outage
    finally:
        postgres_server.start()
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0, worker.output
