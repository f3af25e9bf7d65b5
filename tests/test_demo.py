"""The demo (``manage.py demo``, what ``bash .ci/demo`` runs): within a minute of starting,
the admin shows jobs succeeding, retrying, failing and scheduled; Ctrl+C stops everything.

The demo runs as a real process tree (web server, worker, traffic) against its own SQLite
file, in database mode and, with ``JOBS_BACKEND=huey REDIS_URL=...``, in huey mode.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.servers.ports import free_port
from tests.worker.helpers import wait_until

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


class Demo:
    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.database = tmp_path / "demo.sqlite3"
        self.port = free_port()
        self.log = tmp_path / "demo.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "DATABASE_URL": f"sqlite:///{self.database}",
            "PYTHONUNBUFFERED": "1",  # stdout is a file here: show the login line at once
            **env,
        }
        environment.pop("JOBS_TEST_DB", None)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "demo", "--port", str(self.port), "--every", "0.5"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal gives it
            )

    @property
    def output(self) -> str:
        return self.log.read_text()

    def password(self) -> str:
        wait_until(lambda: "login: demo / " in self.output, 60, 0.5, lambda: self.output)
        return re.search(r"login: demo / (\S+)", self.output).group(1)

    def job_kinds(self) -> set[str]:
        """Which kinds of job the demo's database holds right now."""
        with sqlite3.connect(self.database, timeout=10) as db:
            rows = db.execute(
                "SELECT status, attempts, run_after > datetime('now') FROM django_jobs_job"
            ).fetchall()
        kinds = set()
        for status, attempts, in_future in rows:
            if status == "SUCCESSFUL":
                kinds.add("retried then succeeded" if attempts > 1 else "succeeded")
            elif status == "FAILED":
                kinds.add("failed")
            elif status == "READY" and in_future:
                kinds.add("scheduled")
        return kinds

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=90)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def log_in(client: httpx.Client, password: str) -> None:
    client.get("/admin/login/")
    response = client.post(
        "/admin/login/",
        data={
            "username": "demo",
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": f"{client.base_url}admin/login/"},
    )
    assert response.status_code == 302, response.text


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(params=["database", "huey"])
def demo(request, tmp_path):
    env = {}
    if request.param == "huey":
        redis = request.getfixturevalue("redis_server")
        env = {"JOBS_BACKEND": "huey", "REDIS_URL": redis.url}
    demo = Demo(tmp_path, **env)
    yield demo
    demo.stop()


def test_the_demo_shows_every_kind_of_job_within_a_minute_and_stops_on_ctrl_c(demo):
    password = demo.password()
    everything = {"succeeded", "retried then succeeded", "failed", "scheduled"}
    wait_until(
        lambda: demo.job_kinds() == everything, 60, 0.5, lambda: (demo.job_kinds(), demo.output)
    )

    pages = {
        "/admin/django_jobs/dashboard/": "webhooks",  # a queue of the demo's jobs
        "/admin/django_jobs/job/?state=failed": "charge_card",
        "/admin/django_jobs/worker/": "1 worker",
    }
    with httpx.Client(base_url=f"http://127.0.0.1:{demo.port}/", timeout=10) as client:
        log_in(client, password)
        for page, expected in pages.items():
            response = client.get(page)
            assert response.status_code == 200 and expected in response.text, page

    assert demo.ctrl_c() == 0, demo.output
    wait_until(
        lambda: group_is_gone(demo.process.pid), 60, 0.5, lambda: "web server or worker outlived it"
    )
