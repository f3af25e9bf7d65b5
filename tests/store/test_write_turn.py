"""The SQLite writer turn: a real flock that makes a second writer wait, never a nested one."""

import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from django_jobs.store.write_turn import LOCK_SUFFIX, write_turn

pytestmark = pytest.mark.django_db(transaction=True)


def hold_turn_in_thread(holding: threading.Event, release: threading.Event) -> threading.Thread:
    def hold():
        from django.db import connection as thread_connection

        with write_turn(thread_connection):
            holding.set()
            release.wait(5)
        thread_connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(5)
    return thread


def take_turn_in_thread() -> threading.Event:
    """Set once a thread of its own has taken (and given back) the writer turn."""
    taken = threading.Event()

    def take():
        from django.db import connection as thread_connection

        with write_turn(thread_connection):
            taken.set()
        thread_connection.close()

    threading.Thread(target=take, daemon=True).start()
    return taken


def test_a_second_writer_waits_for_the_turn_and_gets_it_when_released():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writers take no turn (see the next test)")
    holding, release = threading.Event(), threading.Event()
    holder = hold_turn_in_thread(holding, release)
    assert Path(f"{connection.settings_dict['NAME']}{LOCK_SUFFIX}").exists()
    taken = take_turn_in_thread()
    assert not taken.wait(0.3)
    release.set()
    assert taken.wait(5)
    holder.join(5)


def test_only_sqlite_autocommit_writers_take_a_turn():
    holding, release = threading.Event(), threading.Event()
    if connection.vendor == "sqlite":
        holder = hold_turn_in_thread(holding, release)
        with transaction.atomic():  # may hold SQLite's lock already: never waits for a turn
            with write_turn(connection):
                pass
        release.set()
        holder.join(5)
    else:
        holder = hold_turn_in_thread(holding, release)
        assert take_turn_in_thread().wait(1)  # PostgreSQL has row locks: no turn at all
        release.set()
        holder.join(5)
