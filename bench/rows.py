"""The rows of the side-by-side table: which driver, in which virtualenv, on which database.

Rows are grouped by where the queue lives, each group led by its raw limit, so every
system can be read against the cheapest loop its storage allows. Within a round they run
in another order (``ROUND_ORDER``): rows that a target compares run next to each other,
so that the machine's drift over minutes falls on both alike.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    group: str
    label: str
    system: str  # "module:Class" under bench.peers
    venv: str  # "ours" (the project's) or "peers" (bench/.peers-venv)
    database: str | None = None  # "sqlite", "postgres" or None


ROWS = (
    Row("immediate", "django-jobs immediate (SQLite history)", "ours:Immediate", "ours", "sqlite"),
    Row("immediate", "Django ImmediateBackend", "django_immediate:DjangoImmediate", "peers"),
    Row("SQLite", "raw SQL loop, SQLite WAL", "raw_sql:RawSQL", "peers", "sqlite"),
    Row("SQLite", "django-jobs database", "ours:Database", "ours", "sqlite"),
    Row("SQLite", "django-tasks-db", "tasks_db:TasksDB", "peers", "sqlite"),
    Row("PostgreSQL", "raw SQL loop, SKIP LOCKED", "raw_sql:RawSQL", "peers", "postgres"),
    Row("PostgreSQL", "django-jobs database", "ours:Database", "ours", "postgres"),
    Row("PostgreSQL", "django-tasks-db", "tasks_db:TasksDB", "peers", "postgres"),
    Row("PostgreSQL", "django-q2, ORM broker", "django_q2_peer:OrmBroker", "peers", "postgres"),
    Row("Redis", "raw Redis LPUSH/BRPOP", "raw_redis:RawRedis", "peers"),
    Row("Redis", "raw huey (RedisHuey)", "raw_huey:RawHuey", "peers"),
    Row("Redis", "django-jobs huey, SQLite history", "ours:Huey", "ours", "sqlite"),
    Row("Redis", "django-jobs huey, PostgreSQL history", "ours:Huey", "ours", "postgres"),
    Row(
        "Redis",
        "django-q2, Redis broker (PG results)",
        "django_q2_peer:RedisBroker",
        "peers",
        "postgres",
    ),
    Row("Redis", "Celery, Redis broker", "celery_peer:Celery", "peers"),
)


# Rows by (group, label), in the order a round runs them. Raw huey between database mode
# on SQLite and huey mode with PostgreSQL history (huey mode with SQLite history one
# further), Celery beside the latter, PostgreSQL's database mode beside its references.
ROUND_ORDER = (
    ("immediate", "Django ImmediateBackend"),
    ("immediate", "django-jobs immediate (SQLite history)"),
    ("SQLite", "raw SQL loop, SQLite WAL"),
    ("SQLite", "django-tasks-db"),
    ("Redis", "django-jobs huey, SQLite history"),
    ("SQLite", "django-jobs database"),
    ("Redis", "raw huey (RedisHuey)"),
    ("Redis", "django-jobs huey, PostgreSQL history"),
    ("Redis", "Celery, Redis broker"),
    ("Redis", "raw Redis LPUSH/BRPOP"),
    ("Redis", "django-q2, Redis broker (PG results)"),
    ("PostgreSQL", "django-q2, ORM broker"),
    ("PostgreSQL", "django-tasks-db"),
    ("PostgreSQL", "django-jobs database"),
    ("PostgreSQL", "raw SQL loop, SKIP LOCKED"),
)


def in_round_order(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: ROUND_ORDER.index((row.group, row.label)))


def select(filters: list[str]) -> list[Row]:
    """Rows whose group or label contains any of ``filters`` (all rows without filters)."""
    if not filters:
        return list(ROWS)
    wanted = [f.lower() for f in filters]
    return [row for row in ROWS if any(f in f"{row.group} {row.label}".lower() for f in wanted)]
