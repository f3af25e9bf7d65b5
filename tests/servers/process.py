"""A server that runs as a subprocess on a loopback port: start, wait, stop, kill, restart."""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from tests.servers.ports import accepts_connections, free_port


class ServerProcess:
    """Base for real servers; subclasses say how to build the command line.

    The port and data directory survive ``restart()``, so clients reconnect to the
    same address, as they would after a production restart.
    """

    name = "server"
    stop_signal = signal.SIGTERM
    start_timeout = 30.0

    def __init__(self) -> None:
        self.port = free_port()
        self.host = "127.0.0.1"
        self.directory = Path(tempfile.mkdtemp(prefix=f"django-jobs-{self.name}-"))
        self.log_path = self.directory / f"{self.name}.log"
        self.process: subprocess.Popen | None = None
        atexit.register(self.cleanup)

    def command(self) -> list[str]:
        raise NotImplementedError("ServerProcess subclasses must define command()")

    def prepare(self) -> None:
        """One-time setup before the first start (e.g. initdb)."""

    def popen_kwargs(self) -> dict:
        return {}

    def start(self) -> Self:
        if self.process is None and not (self.directory / ".prepared").exists():
            self.prepare()
            (self.directory / ".prepared").touch()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, **self.popen_kwargs()
            )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while not accepts_connections(self.port, self.host):
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not listen on {self.port}:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


def run_as(user: str | None) -> dict:
    """Popen arguments that run a command as ``user`` when we are root (PostgreSQL refuses root).

    ``user=`` makes the child itself switch user, so its pid is the server's pid and
    signals reach the server (a ``runuser`` wrapper would not forward them).
    """
    if user and os.geteuid() == 0:
        return {"user": user, "group": user, "extra_groups": []}
    return {}
