"""The health file's rules and the probe that reads it, without a worker process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_jobs import probe
from django_jobs.worker.health import HealthFile, LoopWatch, check_writable

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_that_keeps_turning_is_healthy_and_one_that_stops_is_not():
    clock = FakeClock()
    watch = LoopWatch(stall_after=60, clock=clock)
    for _ in range(10):
        clock.now += 30
        watch.turned()
        assert watch.healthy()
    clock.now += 60
    assert watch.healthy()
    clock.now += 1
    assert not watch.healthy()


def test_an_announced_wait_does_not_count_as_a_stall():
    clock = FakeClock()
    watch = LoopWatch(stall_after=60, clock=clock)
    watch.turned(waiting=3600)  # an idle worker with a one-hour poll interval
    clock.now += 3600 + 60
    assert watch.healthy()
    clock.now += 1
    assert not watch.healthy()


def test_touch_refreshes_the_file_and_remove_deletes_it(tmp_path):
    path = tmp_path / "health"
    health = HealthFile(path)
    health.touch()
    os.utime(path, (0, 0))
    health.touch()  # within a second of the last touch: skipped, to spare the disk
    assert path.stat().st_mtime == 0
    time.sleep(1.05)
    health.touch()
    assert time.time() - path.stat().st_mtime < 5
    health.remove()
    assert not path.exists()
    health.remove()  # already gone: no error


def test_check_writable_names_the_problem(tmp_path):
    assert check_writable(str(tmp_path / "health")) is None
    assert (tmp_path / "health").exists()
    assert "No such file or directory" in check_writable(str(tmp_path / "missing" / "health"))
    assert check_writable(str(tmp_path)) == f"--health-file {tmp_path}: is a directory"


def test_probe_problem_fresh_stale_missing(tmp_path):
    path = tmp_path / "health"
    assert "does not exist" in probe.problem(path, 60)
    path.touch()
    mtime = path.stat().st_mtime
    assert probe.problem(path, 60, now=mtime + 59) is None
    assert probe.problem(path, 60, now=mtime + 61) == (
        f"{path} was last touched 61s ago (more than 60s)"
    )


def test_probe_main_exit_codes(tmp_path, capsys):
    path = tmp_path / "health"
    assert probe.main([str(path)]) == 1
    assert "unhealthy:" in capsys.readouterr().err
    path.touch()
    assert probe.main([str(path), "--max-age", "30"]) == 0
    os.utime(path, (time.time() - 31, time.time() - 31))
    assert probe.main([str(path), "--max-age", "30"]) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "must be a finite number > 0, got '-5'"),
        ("0", "must be a finite number > 0, got '0'"),
        ("inf", "must be a finite number > 0, got 'inf'"),
        ("soon", "expected a number of seconds, got 'soon'"),
    ],
)
def test_probe_rejects_a_bad_max_age(tmp_path, capsys, value, message):
    with pytest.raises(SystemExit) as exit_info:
        probe.main([str(tmp_path / "health"), "--max-age", value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_probe_runs_without_django(tmp_path):
    """The probe runs every few seconds in every pod: it must not load the project."""
    path = tmp_path / "health"
    path.touch()
    code = (
        "import sys; from django_jobs import probe; code = probe.main(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django')); sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert (out.returncode, out.stdout.strip()) == (0, "[]")
    gone = subprocess.run(
        [sys.executable, "-m", "django_jobs.probe", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert gone.returncode == 1 and "does not exist" in gone.stderr


def test_a_touch_that_fails_is_logged_once_and_the_worker_goes_on(tmp_path, caplog):
    health = HealthFile(tmp_path / "gone" / "health")
    with caplog.at_level("WARNING", logger="django_jobs"):
        health.touch()
        health.touch()
    assert [r.getMessage() for r in caplog.records] == [
        f"Cannot touch the health file {tmp_path / 'gone' / 'health'}: "
        f"[Errno 2] No such file or directory: '{tmp_path / 'gone' / 'health'}'"
    ]
