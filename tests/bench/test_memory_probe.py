import json
import sqlite3

from bench.memory_probe import report, small_object_arenas, sqlite_bytes


def test_sqlite_memory_is_read_from_the_library_python_uses():
    """The figure bench/worker_memory.py reports as SQLite's: it grows with a page cache."""
    before = sqlite_bytes()
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 5000)
    try:
        assert sqlite_bytes() > before + 2_000_000
    finally:
        connection.close()
    assert sqlite_bytes() < before + 100_000


def test_each_signal_appends_one_report(tmp_path, monkeypatch):
    path = tmp_path / "report.jsonl"
    monkeypatch.setenv("MEMORY_REPORT", str(path))
    report()
    report()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2
    assert all(line["rss"] > 10 * 2**20 and line["python_blocks"] > 10_000 for line in lines)
    assert all(line["sqlite"] is not None for line in lines)
    assert all(line["arenas"][0] >= line["arenas"][1] > 0 for line in lines)


def test_small_object_arenas_hold_what_small_objects_use():
    """What bench/worker_memory.py reports as Python's arenas, and the bytes in use in them."""
    arenas_before, in_use_before = small_object_arenas()
    assert arenas_before >= in_use_before > 1_000_000
    kept = [str(n) for n in range(200_000)]  # small strings: the small-object allocator's
    arenas, in_use = small_object_arenas()
    assert in_use > in_use_before + 5_000_000
    assert arenas >= in_use
    del kept
    assert small_object_arenas()[1] < in_use - 5_000_000
