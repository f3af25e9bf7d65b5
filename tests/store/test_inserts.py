"""Enqueue's INSERT on PostgreSQL: bound by the server, unless something watches statements."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_jobs.models import Job
from django_jobs.store.inserts import insert_job
from tests import tasks

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

COMPARED = [
    field.attname
    for field in Job._meta.concrete_fields
    if field.attname not in ("id", "enqueued_at", "run_after", "unique_key", "active_unique_key")
]


@pytest.fixture
def cursor_classes(monkeypatch):
    """The class of each psycopg cursor that executed a statement, in order."""
    import psycopg

    seen = []
    execute = psycopg.Cursor.execute

    def recording(self, *args, **kwargs):
        seen.append(type(self))
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    return seen


def enqueue_everything(key: str) -> Job:
    options = tasks.add.using(priority=7, run_after=timezone.now() + timedelta(hours=1))
    result = options.using(unique_key=key).enqueue("é ☃ \U0001f600", {"nested": [1.5, None, True]})
    return Job.objects.get(pk=result.id)


def test_the_server_bound_insert_stores_what_django_cursor_stores(cursor_classes):
    import psycopg

    bound_by_server = enqueue_everything("first")
    assert psycopg.Cursor in cursor_classes  # not a ClientCursor: the server bound it
    cursor_classes.clear()
    with CaptureQueriesContext(connection):  # watched: Django's own cursor runs it
        through_django = enqueue_everything("second")
    assert psycopg.Cursor not in cursor_classes
    assert {name: getattr(bound_by_server, name) for name in COMPARED} == {
        name: getattr(through_django, name) for name in COMPARED
    }
    assert bound_by_server.args == ["é ☃ \U0001f600", {"nested": [1.5, None, True]}]
    assert bound_by_server.run_after - bound_by_server.enqueued_at > timedelta(minutes=59)


def test_an_execute_wrapper_sees_the_insert():
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        tasks.add.enqueue(1, 2)
    assert any('INSERT INTO "django_jobs_job"' in sql for sql in statements), statements


def test_a_failed_insert_raises_django_error_and_a_unique_key_keeps_one_job():
    job = Job.objects.get(pk=tasks.add.enqueue(1, 2).id)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_job("default", job)  # the same primary key again
    first = tasks.add.using(unique_key="once").enqueue(1, 2)
    again = tasks.add.using(unique_key="once").enqueue(3, 4)
    assert again.id == first.id
    assert Job.objects.filter(unique_key="once").count() == 1


def test_an_insert_into_a_broken_transaction_is_refused_as_django_refuses_it():
    job = Job.objects.get(pk=tasks.add.enqueue(1, 2).id)
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            insert_job("default", job)  # fails inside the outer transaction, no savepoint
        with pytest.raises(TransactionManagementError):
            insert_job("default", Job(task_path=job.task_path, queue_name="default"))
