"""A fresh benchmark database: a temporary SQLite file, or a throwaway PostgreSQL 15 server."""

import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def scratch_directory() -> Path:
    """A new directory for one benchmark database's files, removed when this process exits.

    The SQLite files of a full table come to hundreds of megabytes; runs that left
    them in the temporary directory filled it.
    """
    return Path(tempfile.mkdtemp(dir=_scratch_root().name))


@functools.cache
def _scratch_root() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="bench-")  # cleaned up at interpreter exit


@contextmanager
def bench_database(*, postgres: bool) -> Iterator[str]:
    """Yield the URL of an empty database; a PostgreSQL server is stopped afterwards."""
    if not postgres:
        yield f"sqlite:///{scratch_directory()}/bench.sqlite3"
        return
    from tests.servers.postgres import PostgresServer

    server = PostgresServer().start()
    try:
        createdb = str(server.bindir / "createdb")
        subprocess.run(
            [createdb, "-h", server.host, "-p", str(server.port), "-U", "postgres", "bench"],
            check=True,
        )
        yield server.url_for("bench")
    finally:
        server.cleanup()


def configure_django(database_url: str) -> None:
    """Set up the demo project on ``database_url`` without DEBUG, and migrate it."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "testproject.settings"
    os.environ["DEBUG"] = "False"  # no query recording, as in production
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def loopback_servers(*, postgres: bool) -> Iterator[tuple[Any, Any | None]]:
    """A Redis server, and a PostgreSQL 15 server if asked for, stopped afterwards."""
    from tests.servers.postgres import PostgresServer
    from tests.servers.redis import RedisServer

    redis = RedisServer().start()
    try:
        server = PostgresServer().start() if postgres else None
        try:
            yield redis, server
        finally:
            if server is not None:
                server.cleanup()
    finally:
        redis.cleanup()


def run_child(
    script: str, arguments: list[str], mode: str, redis_url: str, postgres: Any | None
) -> Any:
    """Run ``script`` with ``arguments`` in the demo project's environment for ``mode``
    (``demo_project_env``, with ``BENCH_REDIS_URL`` and ``BENCH_DATABASE_URL`` set);
    return what its last line of output says, as JSON.

    A setup measured in a process of its own starts with nothing imported or cached
    from the one before it.
    """
    env = demo_project_env(mode, redis_url, postgres)
    env |= {"BENCH_REDIS_URL": redis_url, "BENCH_DATABASE_URL": env["DATABASE_URL"]}
    command = [sys.executable, script, *arguments]
    done = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def demo_project_env(mode: str, redis_url: str, postgres: Any | None) -> dict[str, str]:
    """Environment for the demo project in ``mode`` on a fresh database of its own.

    A new SQLite file, or, given a running ``PostgresServer``, a new database on it.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JOBS_BACKEND": mode, "REDIS_URL": redis_url}
    env |= {"DJANGO_SETTINGS_MODULE": "testproject.settings", "DEBUG": "False"}
    env |= {"JOBS_LOG_LEVEL": "WARNING"}
    if postgres is None:
        env["DATABASE_URL"] = f"sqlite:///{scratch_directory()}/jobs.sqlite3"
        return env
    database = f"bench{time.monotonic_ns()}"
    createdb = str(postgres.bindir / "createdb")
    host, port = postgres.host, str(postgres.port)
    subprocess.run([createdb, "-h", host, "-p", port, "-U", "postgres", database], check=True)
    env["DATABASE_URL"] = postgres.url_for(database)
    return env
