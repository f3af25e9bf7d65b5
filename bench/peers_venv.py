"""The peers' own virtualenv, ``bench/.peers-venv``: created and filled with pip on first use.

Peers never share our environment: their Django version and dependencies are their own,
and nothing they install can change what our rows measure.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".peers-venv"
REQUIREMENTS = ROOT / "bench" / "peers" / "requirements.txt"


def peers_python() -> str:
    """The peers' interpreter, installing (again) when the requirements file changed."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp = VENV / "installed-requirements.txt"
    wanted = REQUIREMENTS.read_text()
    if not stamp.exists() or stamp.read_text() != wanted:
        print(f"installing {REQUIREMENTS.name} into {VENV}", file=sys.stderr)
        pip = [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]
        installed = subprocess.run(pip, capture_output=True, text=True)
        if installed.returncode != 0:
            sys.exit(f"pip could not install the peers:\n{installed.stderr}")
        stamp.write_text(wanted)
    return str(python)
