"""The side-by-side driver's row processes: set up once, one answer per run, failures kept."""

import sys
import textwrap
from pathlib import Path

from bench.row_process import READY, RESULT, RowProcess


def row_process(tmp_path: Path, script: str) -> RowProcess:
    command = [sys.executable, "-c", textwrap.dedent(script)]
    return RowProcess(command, cwd=tmp_path, env={}, log=tmp_path / "row.log")


def test_each_command_gets_its_own_figures_and_other_output_is_skipped(tmp_path):
    process = row_process(
        tmp_path,
        f"""
        import json, sys
        print("a library's chatter")
        print({READY!r}, flush=True)
        for number, command in enumerate(sys.stdin, 1):
            print("more chatter")
            print({RESULT!r} + json.dumps({{command.strip(): number}}), flush=True)
        """,
    )
    try:
        assert process.measure("run") == {"run": 1}
        assert process.measure("rss") == {"rss": 2}
        assert process.error is None
    finally:
        process.close()
    assert process.process.returncode == 0


def test_a_process_that_fails_to_set_up_reports_its_last_error_line(tmp_path):
    process = row_process(tmp_path, "import sys; sys.exit('ImportError: no module named celery')")
    assert process.error == "ImportError: no module named celery"
    assert process.measure("run") is None
    process.close()


def test_a_process_that_dies_in_a_run_keeps_the_reason_and_answers_nothing_more(tmp_path):
    process = row_process(
        tmp_path,
        f"""
        import json, sys
        print({READY!r}, flush=True)
        sys.stdin.readline()
        print({RESULT!r} + json.dumps({{"drain": 1.0}}), flush=True)
        sys.stdin.readline()
        raise RuntimeError("timed out: 10 of 5000 jobs done")
        """,
    )
    assert process.measure("run") == {"drain": 1.0}
    assert process.measure("run") is None
    assert process.error == "RuntimeError: timed out: 10 of 5000 jobs done"
    assert process.measure("run") is None
    process.close()
