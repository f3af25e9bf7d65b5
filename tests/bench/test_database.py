"""Benchmark databases leave no files behind once the benchmark's process has exited."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_scratch_directories_live_as_long_as_the_process_that_made_them(tmp_path):
    script = textwrap.dedent(
        """
        import json, sys
        from bench.database import bench_database, scratch_directory
        first, second = scratch_directory(), scratch_directory()
        (first / "jobs.sqlite3").write_bytes(b"x" * 1024)
        with bench_database(postgres=False) as url:
            sqlite_file = url.removeprefix("sqlite:///")
        print(json.dumps([str(first), str(second), sqlite_file, first.is_dir(), second.is_dir()]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    first, second, sqlite_file, first_existed, second_existed = json.loads(done.stdout)
    assert first != second and first_existed and second_existed
    assert Path(first).parent == Path(sqlite_file).parent.parent  # one root for them all
    assert Path(first).parent.parent == tmp_path
    assert list(tmp_path.iterdir()) == []  # the root went with the process


def test_a_child_runs_in_the_demo_environment_and_its_last_line_is_its_answer(tmp_path):
    from bench.database import run_child

    script = tmp_path / "child.py"
    script.write_text(
        "import json, os, sys\n"
        "print('warming up')\n"
        "keys = ('JOBS_BACKEND', 'REDIS_URL', 'BENCH_REDIS_URL',\n"
        "        'DATABASE_URL', 'BENCH_DATABASE_URL')\n"
        "print(json.dumps([sys.argv[1:], os.getcwd(), {key: os.environ[key] for key in keys}]))\n"
        "sys.exit(int(sys.argv[1]))\n"
    )
    arguments, cwd, env = run_child(str(script), ["0", "x"], "huey", "redis://127.0.0.1:9/0", None)
    assert arguments == ["0", "x"] and Path(cwd) == ROOT
    assert env["JOBS_BACKEND"] == "huey"
    assert env["REDIS_URL"] == env["BENCH_REDIS_URL"] == "redis://127.0.0.1:9/0"
    assert env["DATABASE_URL"] == env["BENCH_DATABASE_URL"]
    assert env["DATABASE_URL"].startswith("sqlite:///")
    with pytest.raises(subprocess.CalledProcessError):
        run_child(str(script), ["3"], "database", "redis://127.0.0.1:9/0", None)
