"""A Django cursor whose values PostgreSQL binds itself, for enqueue's INSERT.

Django's cursors on psycopg 3 bind values client-side unless a database sets
``server_side_binding``: the driver quotes every value into the SQL text, and the
server parses the literals back out. Enqueue's INSERT carries sixteen values, and
quoting them cost the enqueueing process 8 to 11% of its CPU per enqueue
(``bench/enqueue_cpu.py``). Sent apart from the statement, they need no quoting.

Only the driver's cursor underneath changes: the cursor comes from
``connection.cursor()`` as any other, so Django's error wrapping and checks, its
query log, ``execute_wrapper`` hooks and whatever instruments Django's cursors (APM
agents, the debug toolbar) see the INSERT as before. Setting the option for the
whole database would bind the project's own queries server-side too, which some
SQL does not allow; one INSERT built by this package is known to be fine.
"""

import functools
from typing import Any


def server_bound_cursor(connection: Any) -> Any:
    """``connection.cursor()``, its values bound by the server on PostgreSQL with psycopg 3."""
    cursor_class = _server_binding_cursor_class() if connection.vendor == "postgresql" else None
    if cursor_class is None:
        return connection.cursor()
    connection.ensure_connection()
    driver_connection = connection.connection
    client_side = driver_connection.cursor_factory
    driver_connection.cursor_factory = cursor_class
    try:
        return connection.cursor()
    finally:
        driver_connection.cursor_factory = client_side


@functools.cache
def _server_binding_cursor_class() -> type | None:
    """psycopg 3's own cursor class (what ``server_side_binding`` picks); None on psycopg 2."""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        return None
    import psycopg

    return psycopg.Cursor
