"""docs/changelog.md keeps the Keep a Changelog shape and names the version being released."""

import re
import tomllib
from pathlib import Path

import django_jobs

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = (ROOT / "docs" / "changelog.md").read_text()
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (Unreleased|\d{4}-\d{2}-\d{2})$", re.MULTILINE)
CATEGORIES = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_the_newest_entry_is_the_version_in_pyproject_and_the_package():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    newest = RELEASE.search(CHANGELOG)
    assert newest is not None
    assert newest.group(1) == version == django_jobs.__version__


def test_every_section_is_a_release_and_every_subsection_a_known_category():
    sections = re.findall(r"^## (.*)$", CHANGELOG, re.MULTILINE)
    assert sections and all(RELEASE.match(f"## {section}") for section in sections)
    assert set(re.findall(r"^### (.*)$", CHANGELOG, re.MULTILINE)) <= CATEGORIES
