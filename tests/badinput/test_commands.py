"""Management commands with wrong flags: a one-line reason, a non-zero exit, no traceback.

Run as real ``manage.py`` processes, because that is where an operator (or a
deployment script) sees the answer: what argparse and Django print, and the exit code.
"""

import argparse
import math
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from django_jobs.management.arguments import positive_int, seconds
from tests.badinput.strategies import examples
from tests.worker.helpers import ROOT, database_url

pytestmark = pytest.mark.django_db

CASES = [
    (["run_jobs", "--concurrency", "0"], "argument --concurrency: must be at least 1"),
    (["run_jobs", "--concurrency", "many"], "expected a whole number, got 'many'"),
    (["run_jobs", "--queue", ""], "Unknown queue(s) ['']"),
    (["run_jobs", "--grace", "-1"], "argument --grace: must be a finite number >= 0"),
    (["run_jobs", "--grace", "inf"], "must be a finite number >= 0"),
    (["run_jobs", "--max-jobs", "1.5"], "expected a whole number, got '1.5'"),
    (["run_jobs", "--processes", "0"], "argument --processes: must be at least 1"),
    (["run_jobs", "--backend", "nope"], "Unknown task backend 'nope'"),
    (["run_jobs", "--bogus"], "unrecognized arguments: --bogus"),
    (["prune_jobs", "--bogus"], "unrecognized arguments: --bogus"),
    (["jobs_status", "--max-age", "abc"], "expected a number of seconds, got 'abc'"),
    (["jobs_status", "--max-age", "nan"], "must be a finite number >= 0"),
]
IDS = [" ".join(argv) for argv, _ in CASES]
# The ones run as real processes (each costs a Django start-up).
IN_A_PROCESS = [0, 2, 3, 8, 9, 10]


@pytest.fixture(scope="module")
def answers(django_db_setup):
    """Every case's (exit code, stderr), the processes started together to save time."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),  # Django's own checks open it
        "PATH": "/usr/bin:/bin",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *argv],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv, _ in (CASES[i] for i in IN_A_PROCESS)
    ]
    stderrs = [process.communicate(timeout=60)[1] for process in processes]
    return {
        i: (process.returncode, stderr)
        for i, process, stderr in zip(IN_A_PROCESS, processes, stderrs, strict=True)
    }


@pytest.mark.parametrize("index", IN_A_PROCESS, ids=[IDS[i] for i in IN_A_PROCESS])
def test_a_wrong_flag_exits_non_zero_with_a_sentence_and_no_traceback(answers, index):
    _argv, message = CASES[index]
    code, stderr = answers[index]
    assert code != 0
    assert message in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("argv", "message"), CASES, ids=IDS)
def test_call_command_raises_command_error_with_the_same_sentence(argv, message):
    with pytest.raises(CommandError) as error:
        call_command(*argv)
    assert message in str(error.value)


@examples(200)
@given(text=st.text(max_size=12) | st.integers().map(str) | st.floats().map(str))
def test_positive_int_accepts_whole_numbers_from_1_or_says_why(text):
    try:
        number = positive_int(text)
    except argparse.ArgumentTypeError as error:
        assert str(error).startswith(("expected a whole number", "must be at least 1"))
        return
    assert isinstance(number, int) and number >= 1


@examples(200)
@given(text=st.text(max_size=12) | st.floats().map(str) | st.integers().map(str))
def test_seconds_accepts_finite_non_negative_numbers_or_says_why(text):
    try:
        number = seconds(text)
    except argparse.ArgumentTypeError as error:
        assert str(error).startswith(("expected a number of seconds", "must be a finite number"))
        return
    assert math.isfinite(number) and number >= 0


@examples(50)
@given(max_age=st.text(max_size=8) | st.floats().map(str))
def test_jobs_status_takes_any_max_age_text_without_a_traceback(max_age):
    try:
        call_command("jobs_status", "--max-age", max_age, stdout=None, stderr=None)
    except CommandError as error:
        assert "--max-age" in str(error)
