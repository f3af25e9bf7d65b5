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
