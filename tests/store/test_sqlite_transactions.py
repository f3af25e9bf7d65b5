"""The project's own transactions on a SQLite file that workers keep writing to.

A transaction that reads before it writes, begun with SQLite's default (deferred) ``BEGIN``,
takes its snapshot at the read; once a worker has committed since, its first write fails at once
with "database is locked": the busy timeout cannot help a stale snapshot.
"""

import pytest
from django.db import connection, connections, transaction

from django_jobs.models import Job
from tests import tasks
from tests.concurrency import a_worker_keeps_writing

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_transaction_that_reads_then_enqueues_succeeds_while_a_worker_writes():
    with a_worker_keeps_writing():
        for _ in range(200):
            with transaction.atomic():
                Job.objects.filter(status="READY").exists()
                tasks.noop.enqueue()
    assert Job.objects.count() == 200


def test_sqlite_files_begin_transactions_immediately_unless_the_project_chose():
    """``BEGIN IMMEDIATE`` takes the write lock first, waiting its turn in the busy timeout."""
    if connection.vendor != "sqlite":
        pytest.skip("a transaction mode is SQLite's")
    connection.ensure_connection()
    assert connection.transaction_mode == "IMMEDIATE"
    settings_dict = {
        **connection.settings_dict,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "transaction_mode": "DEFERRED"},
    }
    chosen = type(connections["default"])(settings_dict, alias="chosen")
    try:
        chosen.ensure_connection()
        assert chosen.transaction_mode == "DEFERRED"
    finally:
        chosen.close()
    assert connections["default"].transaction_mode == "IMMEDIATE"


def test_on_sqlite_a_read_only_transaction_holds_the_write_lock_from_its_start():
    """The price of IMMEDIATE (docs/modes.md): another writer waits until it ends."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL transactions take row locks as they write")
    import sqlite3

    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0.05)
    try:
        with transaction.atomic():
            Job.objects.exists()
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
    finally:
        other.close()
