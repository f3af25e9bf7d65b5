"""SQL that makes the database find rows by primary key, whatever its statistics say."""


def by_key_only(vendor: str, column: str) -> str:
    """``column`` as a by-id statement should compare it: hidden from index matching.

    ``WHERE id IN (...) AND status = 'READY'`` should visit the rows it names. With
    statistics that lag the table (a fresh table, or a bulk insert that autovacuum's
    ANALYZE has not seen yet), SQLite and PostgreSQL both plan it through an index on
    ``status`` instead, visiting every READY row, a whole backlog, for a handful of
    ids. SQLite's unary ``+`` and PostgreSQL's ``|| ''`` keep the comparison and leave
    the primary key the only index that fits.
    """
    if vendor == "sqlite":
        return f"+{column}"
    if vendor == "postgresql":
        return f"({column} || '')"
    return column


def not_a_range_key(vendor: str, column: str) -> str:
    """``column`` as a range test that should not pick the index: hidden from SQLite's.

    Without statistics, SQLite prefers an index matching two terms (``status`` and a
    range on ``column``) to a partial index matching one, even when the partial index
    holds just the rows wanted, in the order wanted. PostgreSQL costs it right.
    """
    return f"+{column}" if vendor == "sqlite" else column
