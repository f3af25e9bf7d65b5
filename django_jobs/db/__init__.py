"""Database-specific helpers: connection setup and how an idle worker waits for work."""
