"""The database limit: INSERT per job; workers claim one row, run the job, mark it done.

    python -m bench.peers.raw_sql       # one worker process (the row starts two)

PostgreSQL claims with ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)
RETURNING``; SQLite (WAL, ``synchronous=NORMAL``) with the same single atomic UPDATE
without the lock clause. Autocommit throughout, no history, no lease, no retry; an idle
worker polls every 5 ms.
"""

import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.jobs import mark  # noqa: E402
from bench.system import System, python  # noqa: E402

IDLE = 0.005
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS raw_jobs (id {pk}, status smallint NOT NULL DEFAULT 0,"
    " payload text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS raw_jobs_ready ON raw_jobs (id) WHERE status = 0",
)
INSERT = "INSERT INTO raw_jobs (payload) VALUES ({})"
DONE = "UPDATE raw_jobs SET status = 2 WHERE id = {}"
CLAIM = (
    "UPDATE raw_jobs SET status = 1 WHERE id = (SELECT id FROM raw_jobs WHERE status = 0"
    " ORDER BY id LIMIT 1{lock}) RETURNING id, payload"
)


class Vendor:
    """One connection in autocommit, with the vendor's placeholder and claim clause."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite:///")
        self.connection: Any  # sqlite3's or psycopg's: both execute(); the rest goes by vendor
        if self.sqlite:
            self.connection = sqlite3.connect(
                url.removeprefix("sqlite://"), isolation_level=None, timeout=20
            )
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
        else:
            import psycopg

            self.connection = psycopg.connect(url, autocommit=True)
        placeholder = "?" if self.sqlite else "%s"
        self.insert = INSERT.format(placeholder)
        self.done = DONE.format(placeholder)
        self.claim = CLAIM.format(lock="" if self.sqlite else " FOR UPDATE SKIP LOCKED")

    def create_schema(self) -> None:
        pk = "integer PRIMARY KEY" if self.sqlite else "bigserial PRIMARY KEY"
        for statement in SCHEMA:
            self.connection.execute(statement.format(pk=pk))

    def execute(self, sql: str, params: tuple = ()) -> list:
        return self.connection.execute(sql, params).fetchall()


class RawSQL(System):
    def setup(self) -> None:
        self.db = Vendor(os.environ["BENCH_DATABASE_URL"])
        self.db.create_schema()

    def reset(self) -> None:
        self.db.connection.execute("DELETE FROM raw_jobs")

    def enqueue(self, enqueued_at: float) -> None:
        self.db.connection.execute(self.db.insert, (repr(enqueued_at),))

    def enqueue_bulk(self, count: int) -> bool:
        rows = [("0.0",)] * count
        if self.db.sqlite:
            self.db.connection.execute("BEGIN")
            self.db.connection.executemany(self.db.insert, rows)
            self.db.connection.execute("COMMIT")
        else:
            with self.db.connection.transaction():
                self.db.connection.cursor().executemany(self.db.insert, rows)
        return True

    def worker_command(self) -> list[str]:
        return [python(), "-m", "bench.peers.raw_sql"]


def work() -> None:
    db = Vendor(os.environ["BENCH_DATABASE_URL"])
    while True:
        claimed = db.execute(db.claim)
        if not claimed:
            time.sleep(IDLE)
            continue
        job_id, payload = claimed[0]
        mark(float(payload))
        db.connection.execute(db.done, (job_id,))


if __name__ == "__main__":
    work()
