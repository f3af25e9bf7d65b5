"""The demo project takes its worker tuning from the environment, as bench/ scripts set it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django_jobs.conf import SCHEMA

ROOT = Path(__file__).resolve().parents[1]
TUNING = ("LEASE_SECONDS", "PREFETCH")


def demo_jobs_settings(**env: str) -> dict:
    """``JOBS`` of ``testproject.settings`` imported afresh with ``env`` (and no other tuning)."""
    tuning_variables = {f"JOBS_{key}" for key in TUNING}
    environment = {k: v for k, v in os.environ.items() if k not in tuning_variables}
    code = (
        "import json; from testproject import settings; "
        f"print(json.dumps({{key: settings.JOBS[key] for key in {TUNING!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**environment, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_lease_and_prefetch_come_from_the_environment():
    settings = demo_jobs_settings(JOBS_LEASE_SECONDS="15", JOBS_PREFETCH="32")
    assert settings == {"LEASE_SECONDS": 15.0, "PREFETCH": 32}


def test_unset_they_are_the_library_defaults():
    assert demo_jobs_settings() == {key: SCHEMA[key][0] for key in TUNING}
