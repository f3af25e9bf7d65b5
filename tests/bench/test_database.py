"""Benchmark databases leave no files behind once the benchmark's process has exited."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

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
