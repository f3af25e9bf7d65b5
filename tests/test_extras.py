"""Every ``django-jobs[extra]`` the docs, README and messages mention exists in pyproject."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MENTION = re.compile(r"django-jobs\[([a-z0-9_,-]+)\]")


def declared_extras() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project["optional-dependencies"])


def mentioned_extras() -> dict[str, set[str]]:
    files = [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("django_jobs/**/*.py")]
    files += [*ROOT.glob("docs/deploy/**/*"), ROOT / "tox.ini", *ROOT.glob(".ci/*")]
    found: dict[str, set[str]] = {}
    for path in files:
        if path.is_file():
            for match in MENTION.finditer(path.read_text()):
                for extra in match.group(1).split(","):
                    found.setdefault(extra, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_issue_asks_for_huey_postgres_and_prometheus_extras():
    assert {"huey", "postgres", "prometheus"} <= declared_extras()


def test_every_mentioned_extra_is_declared():
    mentioned = mentioned_extras()
    assert "prometheus" in mentioned  # the scan sees the docs
    assert {
        extra: where for extra, where in mentioned.items() if extra not in declared_extras()
    } == {}
