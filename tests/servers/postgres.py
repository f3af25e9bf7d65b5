"""A throwaway PostgreSQL 15 cluster: initdb into a temp dir, start on a free port."""

import glob
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.servers.process import ServerProcess, run_as


def postgres_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip())
        if (bindir / "initdb").exists():
            return bindir
    raise RuntimeError(
        "PostgreSQL server binaries not found: install Debian's postgresql-15 package "
        "(the test command's setup does this)."
    )


class PostgresServer(ServerProcess):
    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: disconnect clients, no waiting

    def __init__(self) -> None:
        super().__init__()
        self.bindir = postgres_bindir()
        self.user = "postgres"
        self.data = self.directory / "data"
        self.sockets = self.directory / "sockets"
        self._system_user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{database}"

    def prepare(self) -> None:
        self.sockets.mkdir()
        if self._system_user:
            os.chmod(self.directory, 0o755)
            shutil.chown(self.directory, self._system_user)
            shutil.chown(self.sockets, self._system_user)
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "--auth=trust",
                "-U",
                self.user,
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.directory,
            **run_as(self._system_user),
        )
        if self._system_user:
            shutil.chown(self.log_path.parent, self._system_user)

    def popen_kwargs(self) -> dict:
        return {"cwd": self.directory, **run_as(self._system_user)}

    def _wait_until_ready(self) -> None:
        """Listening is not ready: until startup ends PostgreSQL refuses logins with
        "the database system is starting up", so wait for ``pg_isready`` too."""
        super()._wait_until_ready()
        deadline = time.monotonic() + self.start_timeout
        probe = [str(self.bindir / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port)]
        while subprocess.run(probe, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not accept logins:\n{self.log_tail()}")
            time.sleep(0.05)

    def command(self) -> list[str]:
        return [
            str(self.bindir / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.sockets),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]
