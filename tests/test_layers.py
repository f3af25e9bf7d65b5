"""Architecture rules that import-linter cannot express."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "django_jobs"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_compat_imports_django_tasks():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "compat.py"
        and any(
            name == "django.tasks" or name.startswith(("django.tasks.", "django_tasks"))
            for name in imported_modules(path)
        )
    ]
    assert offenders == []


def test_package_import_loads_neither_models_nor_backends():
    import subprocess
    import sys

    code = (
        "import sys, django_jobs; print([m for m in sys.modules if m.startswith('django_jobs.')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
