"""The plan the database chooses for a statement a test captured."""

from django.db import connection

BACKLOG = 3000  # READY rows that a statement naming a few ids must not walk


def assert_found_by_primary_key(sql: str) -> None:
    """``sql`` (as captured, with its parameters in place) finds its rows by primary key.

    Not by walking every READY row through an index on status, which both databases
    prefer while their statistics have not seen the backlog (as in a fresh test table).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            (plan,) = [row[-1] for row in cursor.fetchall()]
            assert plan.startswith("SEARCH") and "(id=?)" in plan, plan
            return
        cursor.execute(f"EXPLAIN {sql}")
        scans = [row[0] for row in cursor.fetchall() if "Scan" in row[0]]
    assert scans and all("django_jobs_job_pkey" in scan for scan in scans if "Heap" not in scan), (
        scans
    )


def sqlite_whole_reads(sql: str) -> list[str]:
    """The steps of ``sql``'s SQLite plan that read a whole table or index, or sort rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        steps = [row[-1] for row in cursor.fetchall()]
    return [step for step in steps if step.startswith("SCAN") or "TEMP B-TREE" in step]
