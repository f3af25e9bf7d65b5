"""Connections between two jobs: broken ones closed at once, health checks once a second."""

import threading

import pytest
from django.db import connection

from django_jobs.db import between_jobs
from django_jobs.db.between_jobs import close_old_connections_between_jobs


@pytest.fixture(autouse=True)
def fresh_thread_state(monkeypatch):
    monkeypatch.setattr(between_jobs, "_checked", threading.local())


def open_connection():
    """An open connection as a worker has it: persistent, with health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.health_check_enabled = True
    connection.close_at = None


@pytest.mark.django_db(transaction=True)
def test_the_first_call_rearms_the_health_check_and_later_ones_within_a_second_do_not():
    open_connection()
    close_old_connections_between_jobs()
    assert connection.health_check_done is False
    open_connection()
    close_old_connections_between_jobs()
    assert connection.health_check_done is True


@pytest.mark.django_db(transaction=True)
def test_after_the_interval_the_health_check_is_rearmed(monkeypatch):
    open_connection()
    close_old_connections_between_jobs()
    monkeypatch.setattr(between_jobs, "HEALTH_CHECK_INTERVAL", 0.0)
    open_connection()
    close_old_connections_between_jobs()
    assert connection.health_check_done is False


@pytest.mark.django_db(transaction=True)
def test_a_connection_left_in_a_transaction_is_closed_at_once():
    open_connection()
    close_old_connections_between_jobs()
    open_connection()
    connection.set_autocommit(False)
    close_old_connections_between_jobs()
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_connection_whose_query_failed_is_checked_at_once(monkeypatch):
    open_connection()
    close_old_connections_between_jobs()
    open_connection()
    connection.errors_occurred = True
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    close_old_connections_between_jobs()
    assert connection.connection is None
