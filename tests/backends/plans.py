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


def plan_steps(sql: str) -> list[str]:
    """The steps of ``sql``'s plan, its subqueries' included.

    On PostgreSQL the statement runs (``EXPLAIN ANALYZE``): the plan of a recursive
    query's subquery is shown only then.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return [row[-1] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN (ANALYZE, VERBOSE) {sql}")
        return [row[0].strip().removeprefix("->").strip() for row in cursor.fetchall()]


def sqlite_whole_reads(sql: str) -> list[str]:
    """The steps of ``sql``'s SQLite plan that read a whole table or index, or sort rows."""
    return [step for step in plan_steps(sql) if step.startswith("SCAN") or "TEMP B-TREE" in step]


def job_table_whole_reads(sql: str) -> list[str]:
    """The steps of ``sql``'s plan that read the whole job table or sort its rows."""
    whole = ("SCAN django_jobs_job", "TEMP B-TREE", "Seq Scan", "Sort")
    return [step for step in plan_steps(sql) if any(word in step for word in whole)]
