"""A statement whose values PostgreSQL binds itself, when nothing watches Django's cursors.

Django's cursors on psycopg 3 bind values client-side unless a database sets
``server_side_binding``: the driver quotes every value into the SQL text, and the
server parses the literals back out. Enqueue's INSERT carries sixteen values, and
that quoting plus the cursor wrapper cost its thread about a tenth of an enqueue
(``bench/enqueue_cpu.py``). Sent apart from the statement, the values need neither.

Where something watches Django's cursors (an ``execute_wrapper``, or queries logged
under ``DEBUG`` or a test's ``CaptureQueriesContext``) the statement goes through
``connection.cursor()`` as any other, so they see it. Either way a database error is
Django's (``IntegrityError`` of a unique key), as the wrapper would raise it.
"""

from collections.abc import Sequence
from typing import Any


def execute(connection: Any, sql: str, params: Sequence[Any]) -> None:
    """Run ``sql`` with ``params`` on ``connection``, bound server-side where it can be."""
    if not _binds_server_side(connection):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    import psycopg

    # What ``connection.cursor()`` and its wrapper's ``execute()`` check first.
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)


def _binds_server_side(connection: Any) -> bool:
    """PostgreSQL through psycopg 3, with no one watching the connection's cursors."""
    if connection.vendor != "postgresql":
        return False
    if connection.execute_wrappers or connection.queries_logged:
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3
