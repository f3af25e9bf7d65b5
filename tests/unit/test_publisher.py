"""The publisher thread on its own: order, batching, failed sends given back, idling, fork."""

import logging
import os
import threading
import time

import pytest

from django_jobs.backends import publisher as publisher_module
from django_jobs.backends.publisher import Publisher
from tests.worker.helpers import wait_until


def jobs(ids: str) -> list[str]:
    """Jobs as a backend submits them; here, each stands for itself and is its own id."""
    return list(ids)


class Recorder:
    """Stands in for Redis and the database: records sends and give-backs, can block or fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.given_back: list[tuple[str, list[str]]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.failing: set[str] = set()  # backends whose send raises (which a send should not)
        self.refused: set[str] = set()  # jobs a send returns unsent (a queue's send failed)
        self.fail_give_back = False

    def send(self, backend: str, batch: list[str]) -> list[str]:
        self.gate.wait()
        if backend in self.failing:
            raise RuntimeError(f"{backend}: a bug in the send")
        self.sent.append((backend, "".join(job for job in batch if job not in self.refused)))
        return [job for job in batch if job in self.refused]

    def give_back(self, using: str, job_ids: list[str]) -> None:
        if self.fail_give_back:
            raise ConnectionError("database is away")
        self.given_back.append((using, list(job_ids)))


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def publisher(recorder):
    made = Publisher(recorder.send, recorder.give_back)
    yield made
    recorder.gate.set()
    made.flush(timeout=10)


def test_jobs_are_sent_in_order_and_what_gathered_goes_in_one_send(publisher, recorder):
    recorder.gate.clear()  # the first send waits: the next jobs gather meanwhile
    publisher.submit("huey", "default", jobs("a"))
    wait_until(lambda: publisher._busy)
    publisher.submit("huey", "default", jobs("bc"))
    publisher.submit("huey", "default", jobs("d"))
    recorder.gate.set()
    assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", "a"), ("huey", "bcd")]
    assert recorder.given_back == []  # a sent job needs no write: its INSERT reserved it


def test_jobs_arriving_within_the_send_interval_go_in_one_send(publisher, recorder, monkeypatch):
    monkeypatch.setattr(publisher_module, "SEND_INTERVAL", 1.0)
    publisher.submit("huey", "default", jobs("a"))
    wait_until(lambda: recorder.sent)  # a job that finds the thread idle goes at once
    for job in "bcd":
        time.sleep(0.05)  # the thread could run between these: it waits out the interval
        publisher.submit("huey", "default", jobs(job))
    assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", "a"), ("huey", "bcd")]


def test_each_backend_and_database_gets_its_own_send_and_give_back(publisher, recorder):
    recorder.gate.clear()
    recorder.refused = {"a", "b"}
    publisher.submit("huey", "default", jobs("x"))
    wait_until(lambda: publisher._busy)
    publisher.submit("other", "default", jobs("a"))
    publisher.submit("huey", "replica", jobs("bc"))
    recorder.gate.set()
    assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", "x"), ("other", ""), ("huey", "c")]
    assert recorder.given_back == [("default", ["a"]), ("replica", ["b"])]


def test_a_send_that_raises_is_logged_and_the_thread_goes_on(publisher, recorder, caplog):
    """Its jobs stay reserved: the sweep sends them as it sends lost messages."""
    recorder.failing.add("broken")
    publisher.submit("broken", "default", jobs("ab"))
    publisher.submit("huey", "default", jobs("c"))
    with caplog.at_level(logging.ERROR, logger="django_jobs"):
        assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", "c")]
    assert recorder.given_back == []
    assert "A send of 2 item(s) failed" in caplog.text


def test_a_failed_give_back_is_logged_and_the_thread_goes_on(publisher, recorder, caplog):
    recorder.refused = {"a", "b"}
    recorder.fail_give_back = True
    publisher.submit("huey", "default", jobs("a"))
    with caplog.at_level(logging.ERROR, logger="django_jobs"):
        assert publisher.flush(timeout=10)
    assert "1 unpublished job(s) not given back to the sweep" in caplog.text
    recorder.fail_give_back = False
    publisher.submit("huey", "default", jobs("bc"))
    assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", ""), ("huey", "c")]
    assert recorder.given_back == [("default", ["b"])]


def test_flush_gives_up_after_its_timeout(publisher, recorder):
    recorder.gate.clear()
    publisher.submit("huey", "default", jobs("a"))
    assert publisher.flush(timeout=0.2) is False
    recorder.gate.set()
    assert publisher.flush(timeout=10)


def test_an_idle_thread_exits_and_a_new_one_starts_on_demand(publisher, recorder, monkeypatch):
    monkeypatch.setattr(publisher_module, "IDLE_SECONDS", 0.1)
    publisher.submit("huey", "default", jobs("a"))
    assert publisher.flush(timeout=10)
    wait_until(lambda: publisher._thread is None, timeout=5)
    publisher.submit("huey", "default", jobs("b"))
    assert publisher.flush(timeout=10)
    assert recorder.sent == [("huey", "a"), ("huey", "b")]


def test_a_forked_child_drops_the_parents_pending_jobs(recorder):
    made = Publisher.for_process(recorder.send, recorder.give_back)
    recorder.gate.clear()
    made.submit("huey", "default", jobs("a"))
    wait_until(lambda: made._busy)
    made.submit("huey", "default", jobs("b"))  # pending in the parent when it forks
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
    assert recorder.sent == [("huey", "a"), ("huey", "b")]
