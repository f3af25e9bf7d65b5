"""The example files in docs/deploy/ hold together with the real commands.

Every ``manage.py`` command line in them parses with that command's own parser,
every probe command with the probe's, and every stop timeout leaves the worker
its ``--grace`` to drain.
"""

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands, load_command_class

from django_jobs import probe
from django_jobs.conf import build

DEFAULTS = build(None)  # what a project without a JOBS setting runs with

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"
UNIT = DEPLOY / "django-jobs-worker.service"
COMPOSE = DEPLOY / "compose.yaml"
KUBERNETES = DEPLOY / "kubernetes" / "worker.yaml"


def parse_manage_py(argv: list[str]):
    """Parse ``python manage.py NAME ARGS`` with the real command's parser."""
    name, args = argv[argv.index("manage.py") + 1], argv[argv.index("manage.py") + 2 :]
    command = load_command_class(get_commands()[name], name)
    return name, command.create_parser("manage.py", name).parse_args(args)


def parse_probe(argv: list[str]):
    assert argv[:3] == ["python", "-m", "django_jobs.probe"], argv
    return probe.parser().parse_args(argv[3:])


def grace_of(options) -> float:
    return DEFAULTS.GRACE_SECONDS if options.grace is None else options.grace


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def duration(text: str) -> float:
    """``45s``, ``1m30s`` or ``45`` (seconds) as used by Compose and systemd."""
    units = {"s": 1, "m": 60, "h": 3600, "": 1}
    parts = re.fullmatch(r"(?:(\d+)([hms]?))+", text) and re.findall(r"(\d+)([hms]?)", text)
    assert parts, text
    return sum(int(n) * units[u] for n, u in parts)


def compose_worker() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]["worker"]


def kubernetes_worker() -> tuple[dict, dict]:
    [deployment] = yaml.safe_load_all(KUBERNETES.read_text())
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    return pod, container


def test_every_example_file_is_tested():
    assert sorted(p.relative_to(DEPLOY) for p in DEPLOY.rglob("*") if p.is_file()) == sorted(
        p.relative_to(DEPLOY) for p in (UNIT, COMPOSE, KUBERNETES)
    )


def test_the_deployment_page_shows_each_file_as_it_is():
    page = (DEPLOY.parent / "deployment.md").read_text()
    for path in (UNIT, COMPOSE, KUBERNETES):
        assert path.read_text().rstrip() in page, path.name


def test_systemd_unit():
    service = unit()["Service"]
    name, options = parse_manage_py(shlex.split(service["ExecStart"]))
    assert name == "run_jobs"
    assert service["Type"] == "simple"
    assert service["KillSignal"] == "SIGTERM"
    assert service["KillMode"] == "mixed"
    assert service["Restart"] == "on-failure"
    assert duration(service["TimeoutStopSec"]) > grace_of(options)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    """Checked as written, but with this interpreter standing in for the project's venv."""
    text = UNIT.read_text().replace("/srv/myproject/.venv/bin/python", sys.executable)
    copy = tmp_path / UNIT.name
    copy.write_text(text)
    out = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert (out.returncode, out.stderr) == (0, ""), out.stderr


def test_compose_every_manage_py_command_parses():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    commands = {
        name: service["command"]
        for name, service in services.items()
        if "manage.py" in service.get("command", [])
    }
    assert {name: parse_manage_py(argv)[0] for name, argv in commands.items()} == {
        "migrate": "migrate",
        "worker": "run_jobs",
    }


def test_compose_worker_stops_gracefully_and_probes_its_own_health_file():
    worker = compose_worker()
    _, options = parse_manage_py(worker["command"])
    assert worker["stop_signal"] == "SIGTERM"
    assert duration(worker["stop_grace_period"]) > grace_of(options)
    check = worker["healthcheck"]["test"]
    assert check[0] == "CMD"
    probe_options = parse_probe(check[1:])
    assert str(probe_options.path) == options.health_file
    assert probe_options.max_age > 3 * DEFAULTS.heartbeat_seconds


def test_kubernetes_worker_deployment():
    pod, container = kubernetes_worker()
    _, options = parse_manage_py(container["command"] + container["args"])
    assert pod["terminationGracePeriodSeconds"] > grace_of(options)
    probe_options = parse_probe(container["livenessProbe"]["exec"]["command"])
    assert str(probe_options.path) == options.health_file
    assert probe_options.max_age > 3 * DEFAULTS.heartbeat_seconds
    assert container["livenessProbe"]["timeoutSeconds"] >= 1
    assert "readinessProbe" not in container


def test_a_wrong_flag_would_fail_these_tests():
    """The parsers used above really refuse what run_jobs and the probe refuse."""
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        parse_manage_py(["python", "manage.py", "run_jobs", "--grace", "-1"])
    with pytest.raises(CommandError):
        parse_manage_py(["python", "manage.py", "run_jobs", "--health-flie", "/tmp/x"])
    with pytest.raises(SystemExit):
        parse_probe(["python", "-m", "django_jobs.probe", "/tmp/x", "--max-age", "0"])
