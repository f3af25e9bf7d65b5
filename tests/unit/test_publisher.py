"""The publisher thread on its own: order, batching, deferred marks, failures, idling, fork."""

import logging
import os
import threading
import time

import pytest

from django_jobs.backends import publisher as publisher_module
from django_jobs.backends.publisher import Publisher
from tests.worker.helpers import wait_until


class Recorder:
    """Stands in for Redis and the database: records sends and marks, can block or fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []
        self.marked: list[tuple[str, list[str]]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.failing: set[str] = set()
        self.fail_marks = False

    def send(self, backend: str, jobs: list[str]) -> list[str]:
        self.gate.wait()
        if backend in self.failing:
            raise ConnectionError(f"{backend} is down")
        self.sent.append((backend, list(jobs)))
        return [f"id-{job}" for job in jobs]

    def mark(self, using: str, job_ids: list[str]) -> None:
        if self.fail_marks:
            raise ConnectionError("database is away")
        self.marked.append((using, list(job_ids)))


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def publisher(recorder):
    made = Publisher(recorder.send, recorder.mark)
    yield made
    recorder.gate.set()
    made.flush(timeout=10)


def test_jobs_are_sent_in_order_and_what_gathered_goes_in_one_send(publisher, recorder):
    recorder.gate.clear()  # the first send waits: the next jobs gather meanwhile
    publisher.submit("huey", "default", ["a"])
    wait_until(lambda: publisher._busy)
    publisher.submit("huey", "default", ["b", "c"])
    publisher.submit("huey", "default", ["d"])
    recorder.gate.set()
    assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", ["a"]), ("huey", ["b", "c", "d"])]
    assert sorted(job for _, ids in recorder.marked for job in ids) == [
        "id-a",
        "id-b",
        "id-c",
        "id-d",
    ]


def test_jobs_arriving_within_the_send_interval_go_in_one_send(publisher, recorder, monkeypatch):
    monkeypatch.setattr(publisher_module, "SEND_INTERVAL", 1.0)
    publisher.submit("huey", "default", ["a"])
    wait_until(lambda: recorder.sent)  # a job that finds the thread idle goes at once
    for job in "bcd":
        time.sleep(0.05)  # the thread could run between these: it waits out the interval
        publisher.submit("huey", "default", [job])
    assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", ["a"]), ("huey", ["b", "c", "d"])]


def test_each_backend_and_database_gets_its_own_send_and_mark(publisher, recorder):
    recorder.gate.clear()
    publisher.submit("huey", "default", ["x"])
    wait_until(lambda: publisher._busy)
    publisher.submit("other", "default", ["a"])
    publisher.submit("huey", "replica", ["b"])
    recorder.gate.set()
    assert publisher.flush(timeout=10)
    assert recorder.sent[1:] == [("other", ["a"]), ("huey", ["b"])]
    assert {using for using, _ in recorder.marked} == {"default", "replica"}


def test_marks_wait_for_mark_after(publisher, recorder, monkeypatch):
    monkeypatch.setattr(publisher_module, "MARK_AFTER", 0.3)
    publisher.submit("huey", "default", ["a"])
    wait_until(lambda: recorder.sent)
    assert recorder.marked == []  # sent, not yet marked: one UPDATE covers a while of sends
    wait_until(lambda: recorder.marked, timeout=5)
    assert recorder.marked == [("default", ["id-a"])]


def test_a_full_batch_is_marked_at_once(publisher, recorder, monkeypatch):
    monkeypatch.setattr(publisher_module, "MARK_AFTER", 60.0)
    monkeypatch.setattr(publisher_module, "MARK_BATCH", 3)
    publisher.submit("huey", "default", ["a", "b", "c"])
    wait_until(lambda: recorder.marked, timeout=5)
    assert recorder.marked == [("default", ["id-a", "id-b", "id-c"])]


def test_a_failed_send_is_logged_and_left_unmarked_for_the_sweep(publisher, recorder, caplog):
    recorder.failing.add("down")
    publisher.submit("down", "default", ["a", "b"])
    publisher.submit("huey", "default", ["c"])
    with caplog.at_level(logging.ERROR, logger="django_jobs"):
        assert publisher.flush(timeout=10)
    assert recorder.marked == [("default", ["id-c"])]
    assert "2 job(s) not published" in caplog.text


def test_a_failed_mark_is_logged_and_the_thread_goes_on(publisher, recorder, caplog):
    recorder.fail_marks = True
    publisher.submit("huey", "default", ["a"])
    with caplog.at_level(logging.ERROR, logger="django_jobs"):
        assert publisher.flush(timeout=10)
    assert "1 published job(s) not marked published" in caplog.text
    recorder.fail_marks = False
    publisher.submit("huey", "default", ["b"])
    assert publisher.flush(timeout=10)
    assert recorder.marked == [("default", ["id-b"])]


def test_flush_gives_up_after_its_timeout(publisher, recorder):
    recorder.gate.clear()
    publisher.submit("huey", "default", ["a"])
    assert publisher.flush(timeout=0.2) is False
    recorder.gate.set()
    assert publisher.flush(timeout=10)


def test_an_idle_thread_exits_and_a_new_one_starts_on_demand(publisher, recorder, monkeypatch):
    monkeypatch.setattr(publisher_module, "IDLE_SECONDS", 0.1)
    publisher.submit("huey", "default", ["a"])
    assert publisher.flush(timeout=10)
    wait_until(lambda: publisher._thread is None, timeout=5)
    publisher.submit("huey", "default", ["b"])
    assert publisher.flush(timeout=10)
    assert [jobs for _, jobs in recorder.sent] == [["a"], ["b"]]


def test_a_forked_child_drops_the_parents_pending_jobs(recorder):
    made = Publisher.for_process(recorder.send, recorder.mark)
    recorder.gate.clear()
    made.submit("huey", "default", ["a"])
    wait_until(lambda: made._busy)
    made.submit("huey", "default", ["b"])  # pending in the parent when it forks
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's to send, and no thread yet
        os.write(write, b"clean" if not made._pending and made._thread is None else b"dirty")
        os._exit(0)
    os.close(write)
    assert os.read(read, 10) == b"clean"
    os.waitpid(pid, 0)
    recorder.gate.set()
    assert made.flush(timeout=10)
    assert [jobs for _, jobs in recorder.sent] == [["a"], ["b"]]
