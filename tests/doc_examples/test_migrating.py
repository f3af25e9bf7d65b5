"""The django-jobs code in docs/migrating.md, run as written in immediate and database mode.

The page marks each block: ``<!-- example: module PATH -->`` blocks are joined into
importable modules (``myapp/tasks.py``, ``myapp/tests.py``), ``<!-- example: settings -->``
blocks are settings, and ``<!-- example: run NAME -->`` blocks are executed; each run
block has an expectation below, so an example that stops doing what the page says fails.
"""

import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings

from django_jobs import api
from django_jobs.conf import validate
from django_jobs.models import Job, Schedule
from django_jobs.scheduler import sync_schedules
from django_jobs.testing import jobs_mode, run_until_empty

PAGE = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"
BLOCK = re.compile(r"<!-- example: (\w+)(?: (\S+))? -->\n```python\n(.*?)```", re.DOTALL)
MODES = ["immediate", "database"]


def blocks() -> list[tuple[str, str | None, str]]:
    return BLOCK.findall(PAGE.read_text())


def modules() -> dict[str, str]:
    joined: dict[str, str] = defaultdict(str)
    for kind, path, code in blocks():
        if kind == "module":
            joined[path] += code + "\n"
    return dict(joined)


def settings_blocks() -> list[dict]:
    found = []
    for kind, _, code in blocks():
        if kind == "settings":
            namespace: dict = {}
            exec(code, namespace)
            found.append({k: v for k, v in namespace.items() if k.isupper()})
    return found


def run_blocks() -> dict[str, str]:
    return {name: code for kind, name, code in blocks() if kind == "run"}


@pytest.fixture(scope="module")
def myapp(tmp_path_factory):
    """``myapp`` written from the page into a directory on sys.path."""
    root = tmp_path_factory.mktemp("migrating")
    for path, code in modules().items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        (target.parent / "__init__.py").touch()
        target.write_text(code)
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == "myapp" or m.startswith("myapp.")]:
        del sys.modules[name]


@pytest.fixture
def doc_tasks_setting():
    """The page's own TASKS (its QUEUES), under test settings otherwise."""
    [database, _, immediate] = settings_blocks()
    assert immediate["TASKS"]["default"]["QUEUES"] == database["TASKS"]["default"]["QUEUES"]
    with override_settings(TASKS=database["TASKS"]):
        yield


def drain(mode: str, **kwargs) -> int:
    return run_until_empty(**kwargs) if mode == "database" else 0


def status(result) -> str:
    return Job.objects.get(pk=result.id).status


def expect_enqueue(mode, ns):
    assert status(ns["result"]) == ("SUCCESSFUL" if mode == "immediate" else "READY")
    drain(mode)
    assert status(ns["result"]) == "SUCCESSFUL"
    assert [m.to for m in mail.outbox] == [["user42@example.com"]]


def expect_transaction(mode, ns):
    assert not Job.objects.exists()
    drain(mode, include_scheduled=True)
    assert len(mail.outbox) == (1 if mode == "immediate" else 0)  # run before the rollback


def expect_delay(mode, ns):
    [job] = Job.objects.all()
    if mode == "database":
        assert job.status == "READY" and drain(mode) == 0  # not due for ten minutes
        assert drain(mode, include_scheduled=True) == 1
    assert len(mail.outbox) == 1


def expect_retries(mode, ns):
    drain(mode, include_scheduled=True)
    export = ns["poll_export"].get_result(ns["export"].id)
    assert (export.status, export.attempts) == ("SUCCESSFUL", 3)
    assert export.return_value == "exports/2026-11.csv"
    failed = ns["charge"].get_result(ns["failed"].id)
    assert (failed.status, failed.attempts) == ("FAILED", 1)
    assert "nothing to charge" in failed.errors[0].traceback


def expect_priority(mode, ns):
    drain(mode)
    job = Job.objects.get()
    assert (job.queue_name, job.priority, job.status) == ("low", -10, "SUCCESSFUL")


def expect_results(mode, ns):
    if mode == "database":
        assert "total" not in ns  # not run yet
        drain(mode)
        ns["result"] = ns["add"].get_result(ns["job_id"])
    assert ns["result"].status == "SUCCESSFUL" and ns["result"].return_value == 5
    assert mode == "database" or ns["total"] == 5


def expect_unique(mode, ns):
    same = ns["second"].id == ns["first"].id
    assert same is (mode == "database")
    drain(mode)
    assert len(mail.outbox) == (1 if mode == "database" else 2)


EXPECT = {
    "enqueue": expect_enqueue,
    "transaction": expect_transaction,
    "delay": expect_delay,
    "retries": expect_retries,
    "priority": expect_priority,
    "results": expect_results,
    "unique": expect_unique,
}


def test_every_run_example_has_an_expectation():
    assert sorted(run_blocks()) == sorted(EXPECT)


@pytest.mark.django_db
@pytest.mark.usefixtures("myapp", "doc_tasks_setting")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(EXPECT))
def test_run_example(name, mode):
    namespace: dict = {}
    with jobs_mode(mode):
        exec(run_blocks()[name], namespace)
        EXPECT[name](mode, namespace)


@pytest.mark.django_db
@pytest.mark.usefixtures("myapp", "doc_tasks_setting")
@pytest.mark.parametrize("mode", MODES)
def test_schedule_example_is_valid_and_runs(settings, mode):
    [jobs] = [block["JOBS"] for block in settings_blocks() if "JOBS" in block]
    assert validate(jobs) == []
    settings.JOBS = {**settings.JOBS, **jobs}
    sync_schedules()
    assert Schedule.objects.get(name="nightly-report").task_path == "myapp.tasks.build_report"
    with jobs_mode(mode):
        job_id = api.run_schedule_now("nightly-report")
        drain(mode)
    assert Job.objects.get(pk=job_id).status == "SUCCESSFUL"


@pytest.mark.django_db
@pytest.mark.usefixtures("myapp")
def test_the_test_settings_run_jobs_inline():
    [_, _, test_settings] = settings_blocks()
    from myapp.tasks import add

    with override_settings(TASKS=test_settings["TASKS"]):
        assert add.enqueue(2, 3).return_value == 5


@pytest.mark.django_db
@pytest.mark.usefixtures("myapp", "doc_tasks_setting")
def test_the_example_test_module_passes():
    import myapp.tests

    tests = [getattr(myapp.tests, n) for n in dir(myapp.tests) if n.startswith("test_")]
    assert tests
    for test in tests:
        test()
    assert len(mail.outbox) == 1
