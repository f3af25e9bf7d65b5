"""The reference pages stay complete: every ``JOBS`` key with its default, every check id."""

import json
import re
from pathlib import Path

import pytest

from django_jobs.conf import SCHEMA

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
CHECK_ID = re.compile(r"django_jobs\.[EW]\d{3}")


def documented_default(value: object) -> str:
    return json.dumps(value) if isinstance(value, dict) else str(value)


@pytest.mark.parametrize("key", list(SCHEMA))
def test_every_jobs_key_is_documented_with_its_default(key):
    default, _check = SCHEMA[key]
    row = re.search(rf"^\| `{key}` \| `([^`]*)`", CONFIGURATION, re.M)
    assert row, f"docs/configuration.md has no row for JOBS[{key!r}]"
    assert row.group(1) == documented_default(default)


def test_the_keys_are_documented_in_the_schema_order():
    documented = re.findall(r"^\| `([A-Z_]+)` \|", CONFIGURATION, re.M)
    assert [key for key in documented if key in SCHEMA] == list(SCHEMA)


def test_every_check_id_in_the_code_is_documented():
    in_code = {
        match
        for path in (ROOT / "django_jobs").rglob("*.py")
        for match in CHECK_ID.findall(path.read_text())
    }
    documented = set(CHECK_ID.findall((ROOT / "docs" / "checks.md").read_text()))
    assert in_code and in_code <= documented, sorted(in_code - documented)
