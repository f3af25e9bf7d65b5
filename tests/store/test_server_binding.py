"""Enqueue's INSERT: values bound by PostgreSQL itself, Django's errors and observers kept."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from django_jobs.models import Job
from tests import tasks

pytestmark = pytest.mark.django_db(transaction=True)

AWKWARD = ["it's", 'say "hi"', "back\\slash", "ünïcødé ✓", "%s %(x)s", 10**12, 0.1, None]


def last_statement_of(server_connection) -> str:
    """What another session sees as the last statement this connection's backend ran."""
    pid = server_connection.connection.info.backend_pid
    params = server_connection.get_connection_params()
    with server_connection.Database.connect(**params, autocommit=True) as observer:
        activity = observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return activity.fetchone()[0]


@pytest.mark.postgres_only
def test_on_postgresql_enqueue_sends_the_values_apart_from_the_statement():
    result = tasks.echo.enqueue(AWKWARD, note="it's")
    statement = last_statement_of(connection)
    assert "INSERT INTO" in statement and "$1" in statement
    assert "tests.tasks.echo" not in statement and "it''s" not in statement
    job = Job.objects.get(pk=result.id)
    assert job.args == [AWKWARD] and job.kwargs == {"note": "it's"}
    assert job.task_path == "tests.tasks.echo" and job.status == "READY"


@pytest.mark.postgres_only
def test_on_postgresql_the_projects_own_queries_are_still_bound_by_the_client():
    tasks.echo.enqueue(1)
    assert Job.objects.filter(task_path="tests.tasks.echo").count() == 1
    statement = last_statement_of(connection)
    assert "SELECT COUNT" in statement and "'tests.tasks.echo'" in statement


def test_whatever_watches_djangos_cursors_sees_the_insert(monkeypatch):
    """Query log, ``execute_wrapper`` and tools that wrap ``connection.cursor`` alike."""
    wrapped, seen = [], []
    make_cursor = connection.cursor

    def instrumented_cursor(*args, **kwargs):  # as APM agents and the debug toolbar do
        wrapped.append(True)
        return make_cursor(*args, **kwargs)

    def remember(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(connection, "cursor", instrumented_cursor)
    tasks.echo.enqueue(AWKWARD)  # nothing else watching: no query log, no execute wrapper
    assert wrapped
    with CaptureQueriesContext(connection) as logged, connection.execute_wrapper(remember):
        tasks.echo.enqueue(AWKWARD)
    assert len(seen) == 1 and "INSERT INTO" in seen[0]
    assert [q["sql"] for q in logged.captured_queries if "INSERT INTO" in q["sql"]]


def test_a_duplicate_insert_raises_djangos_integrity_error():
    from django_jobs.store.inserts import insert_job

    job = Job.objects.get(pk=tasks.echo.enqueue(1).id)
    job._state.adding = True
    with pytest.raises(IntegrityError):
        insert_job(connection.alias, job)
    assert Job.objects.count() == 1


def test_an_enqueue_in_a_broken_transaction_is_refused_as_django_refuses_any_query():
    from django_jobs.store.inserts import insert_job

    job = Job.objects.get(pk=tasks.echo.enqueue(1).id)
    job._state.adding = True
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            insert_job(connection.alias, job)  # no savepoint to roll back to: broken now
        with pytest.raises(TransactionManagementError):
            tasks.echo.enqueue(2)
    assert Job.objects.count() == 1
