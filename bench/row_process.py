"""One row's measuring process, kept alive for all of the row's runs.

The table's runs go round the rows: the first run of every row, then the second of every
row, and so on. The machine's speed moves by tens of percent over minutes; when a row's
runs were back to back, a slow stretch could fall on all three runs of one row and on
none of the next, and the ratios between rows of the same table carried it. Going round
spreads each row's runs over the whole table. Each row keeps its process (its Django,
its connections, its database) between its runs, so its later runs are as warm as back
to back runs were.

The process is ``bench/peers/run.py`` in the row's virtualenv. It prints ``READY``
once set up, then answers each command on its stdin (``run`` or ``rss``) with one
``RESULT`` line of JSON figures; other output on its stdout is skipped.
"""

import json
import subprocess
from pathlib import Path

READY = "BENCH-READY"
RESULT = "BENCH-RESULT "


class RowProcess:
    """Start the row's process and wait until it is set up (no other row measures meanwhile)."""

    def __init__(self, command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.error: str | None = None
        with open(log, "w") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self._answer(READY)

    def measure(self, command: str) -> dict | None:
        """One run's figures; None once the process has failed (``error`` says why)."""
        if self.error is not None:
            return None
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        except OSError:  # the process has gone: its stderr says why
            self._failed()
            return None
        answer = self._answer(RESULT)
        return None if answer is None else json.loads(answer)

    def close(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _answer(self, prefix: str) -> str | None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(prefix):
                return line[len(prefix) :]
        self._failed()
        return None

    def _failed(self) -> None:
        returncode = self.process.wait()
        lines = self.log.read_text(errors="replace").strip().splitlines()
        self.error = lines[-1] if lines else f"exit {returncode}"
