"""Garbage in the job table: the job fails once with a sentence, nothing else runs, work goes on.

Rows are written with the ORM, as anyone with write access to the table could,
bypassing every check ``enqueue()`` makes.
"""

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_jobs.models import Job
from django_jobs.testing import run_until_empty
from tests import tasks
from tests.badinput.strategies import examples, storable_text
from tests.worker.helpers import WorkerProcess, ledger_lines

pytestmark = pytest.mark.django_db

NOT_TASKS = [
    ("os.system", "not a Task"),
    ("builtins.eval", "not a Task"),
    ("subprocess.getoutput", "not a Task"),
    ("tests.tasks.not_a_task", "not a Task"),
    ("tests.tasks", "not a Task"),
    ("tests.tasks.add.func", "cannot be imported"),
    ("tests.tasks.gone", "cannot be imported"),
    ("no_such_module.task", "cannot be imported"),
    ("os", "cannot be imported"),
    ("", "cannot be imported"),
    (".", "cannot be imported"),  # import_module raises ValueError, not ImportError
    (".tasks", "cannot be imported"),  # ... and TypeError for a relative name
    ("tests..tasks.add", "cannot be imported"),
    ("tests.tasks.", "cannot be imported"),
]

BAD_ARGUMENTS = [
    ([], {}, "missing a required argument"),
    ([1], {}, "missing a required argument"),
    ([1, 2, 3], {}, "too many positional arguments"),
    ([1, 2], {"c": 3}, "unexpected keyword argument"),
    ({"a": 1, "b": 2}, {}, "stored arguments must be a list"),
    ("12", {}, "stored arguments must be a list"),
    ([1, 2], [3], "stored keyword arguments must be a dict"),
]


def row(task_path="tests.tasks.add", args=(1, 2), kwargs=None, **fields) -> Job:
    return Job.objects.create(
        task_path=task_path,
        queue_name="default",
        backend_name="default",
        args=list(args) if isinstance(args, tuple) else args,
        kwargs={} if kwargs is None else kwargs,
        **fields,
    )


def failed_once(job: Job, message: str) -> None:
    job.refresh_from_db()
    assert job.status == "FAILED" and job.attempts == 1, job.errors
    assert message in job.errors[0]["message"], job.errors


@pytest.mark.parametrize(("path", "message"), NOT_TASKS)
def test_a_path_that_is_not_a_task_fails_once_and_the_next_job_runs(path, message):
    bad = row(task_path=path, args=["touch /tmp/django-jobs-pwned"])
    good = tasks.add.enqueue(2, 3)
    assert run_until_empty() == 2
    failed_once(bad, message)
    good.refresh()
    assert good.return_value == 5


@pytest.mark.parametrize(("args", "kwargs", "message"), BAD_ARGUMENTS)
def test_arguments_that_do_not_bind_fail_once_without_retries(args, kwargs, message):
    bad = row(args=args, kwargs=kwargs, max_attempts=5)
    good = tasks.add.enqueue(2, 3)
    run_until_empty(include_scheduled=True)
    failed_once(bad, message)
    good.refresh()
    assert good.return_value == 5


@pytest.mark.parametrize("retry_on", [["os.system"], ["builtins.int"], ["tests.tasks.gone"], [7]])
def test_stored_retry_on_that_names_no_exception_class_is_ignored(retry_on):
    job = row(task_path="tests.tasks.always_fail", args=[], retry_on=retry_on, max_attempts=2)
    good = tasks.add.enqueue(2, 3)
    run_until_empty(include_scheduled=True)
    job.refresh_from_db()
    assert job.status == "FAILED" and job.attempts == 2, job.errors
    assert [e["exception_class_path"] for e in job.errors] == ["builtins.ValueError"] * 2
    good.refresh()
    assert good.return_value == 5


dotted = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8), min_size=1, max_size=4
).map(".".join)


@examples(60)
@given(path=dotted | storable_text | st.sampled_from([p for p, _ in NOT_TASKS]))
def test_no_stored_path_runs_anything_but_a_task(path):
    bad = row(task_path=path, args=["x"])
    run_until_empty()
    bad.refresh_from_db()
    assert bad.status == "FAILED" and bad.attempts == 1
    assert bad.errors[0]["exception_class_path"] == "django_jobs.exceptions.UnknownTask"


def binds_to_add(args, kwargs) -> bool:
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        return False
    try:
        inspect.signature(tasks.add.func).bind(*args, **kwargs)
    except TypeError:
        return False
    return True


keys = st.sampled_from("abc") | storable_text  # what the database can hold, even written by hand


@examples(60)
@given(
    args=st.lists(st.integers(), max_size=3) | st.dictionaries(keys, st.integers(), max_size=2),
    kwargs=st.dictionaries(keys, st.integers(), max_size=3) | st.lists(st.integers(), max_size=2),
)
def test_stored_arguments_either_run_or_fail_once(args, kwargs):
    job = row(args=args, kwargs=kwargs, max_attempts=5)
    run_until_empty(include_scheduled=True)
    job.refresh_from_db()
    assert job.status == ("SUCCESSFUL" if binds_to_add(args, kwargs) else "FAILED"), job.errors
    assert job.attempts == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_fails_garbage_rows_and_keeps_going(tmp_path):
    ledger = tmp_path / "ledger.txt"
    bad = [row(task_path="os.system", args=["touch /tmp/django-jobs-pwned"])]
    bad += [row(task_path="tests.tasks.record", args=args) for args in ([], [1, 2], "7")]
    good = tasks.record.enqueue(42)
    worker = WorkerProcess("--burst", "--no-scheduler", ledger=ledger)
    assert worker.wait(timeout=60) == 0, worker.output
    assert ledger_lines(ledger) == ["42"]
    for job in bad:
        job.refresh_from_db()
        assert job.status == "FAILED" and job.attempts == 1, job.errors
    good.refresh()
    assert good.status == "SUCCESSFUL"
    assert "not a Task; refusing to run it" in worker.output
