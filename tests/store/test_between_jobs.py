"""Connections between two jobs: broken ones closed at once, health checks once a second."""

import threading

import pytest
from django.db import connection

from django_jobs.db import between_jobs
from django_jobs.db.between_jobs import close_old_connections_between_jobs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_thread_state(monkeypatch):
    monkeypatch.setattr(between_jobs, "_checked", threading.local())


def open_connection():
    """An open connection as a worker has it: persistent, with health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.health_check_enabled = True
    connection.close_at = None


def after_a_first_job():
    """The thread ran one job (its health check re-armed): the next job is within a second."""
    open_connection()
    close_old_connections_between_jobs()
    open_connection()


def test_the_first_call_rearms_the_health_check_and_later_ones_within_a_second_do_not():
    open_connection()
    close_old_connections_between_jobs()
    assert connection.health_check_done is False
    after_a_first_job()
    close_old_connections_between_jobs()
    assert connection.health_check_done is True


def test_after_the_interval_the_health_check_is_rearmed(monkeypatch):
    after_a_first_job()
    monkeypatch.setattr(between_jobs, "HEALTH_CHECK_INTERVAL", 0.0)
    close_old_connections_between_jobs()
    assert connection.health_check_done is False


def test_a_connection_left_in_a_transaction_is_closed_at_once():
    after_a_first_job()
    connection.set_autocommit(False)
    close_old_connections_between_jobs()
    assert connection.connection is None


def test_a_connection_whose_query_failed_is_checked_at_once(monkeypatch):
    after_a_first_job()
    connection.errors_occurred = True
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    close_old_connections_between_jobs()
    assert connection.connection is None
