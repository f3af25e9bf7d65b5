"""``bench/measure.py``: a run's bulk rate is the median of its calls, each into an empty queue,
and a short drain is taken three times, the median kept."""

import contextlib
import itertools

from bench import measure
from bench.system import System


class Recording(System):
    def __init__(self, *, has_bulk: bool = True) -> None:
        self.has_bulk = has_bulk
        self.events: list[str] = []

    def reset(self) -> None:
        self.events.append("reset")

    def enqueue_bulk(self, count: int) -> bool:
        self.events.append(f"bulk {count}")
        return self.has_bulk


class Client:
    def flushdb(self) -> None:
        pass


def test_the_bulk_rate_of_a_run_is_the_median_of_its_calls(monkeypatch):
    seconds = iter([0.0, 1.0, 10.0, 14.0, 20.0, 22.0])  # calls of 1, 4 and 2 seconds
    monkeypatch.setattr(measure.time, "perf_counter", lambda: next(seconds))
    system = Recording()
    figures = measure.bulk(system, Client(), measure.Plan(jobs=100))
    assert figures == {"bulk": 50.0}
    assert system.events == ["reset", "bulk 100"] * measure.BULK_CALLS + ["reset"]


def test_a_system_without_a_bulk_call_has_no_bulk_rate(monkeypatch):
    monkeypatch.setattr(measure.time, "perf_counter", itertools.count().__next__)
    assert measure.bulk(Recording(has_bulk=False), Client(), measure.Plan()) == {}


def passes(monkeypatch, enqueue_rates, drain_seconds):
    """``enqueue_and_drain`` on a recording system whose passes take the given figures."""
    system = Recording()
    rates, durations = iter(enqueue_rates), iter(drain_seconds)

    def enqueue_one_by_one(system, jobs):
        system.events.append(f"enqueue {jobs}")
        return next(rates), 0.0

    def drain(client):
        system.events.append("drain")
        return next(durations)

    monkeypatch.setattr(measure, "enqueue_one_by_one", enqueue_one_by_one)
    monkeypatch.setattr(measure, "WorkerGroup", lambda commands: contextlib.nullcontext())
    monkeypatch.setattr(measure, "wait_for_done", lambda *args: None)
    monkeypatch.setattr(measure, "drain_seconds", drain)
    monkeypatch.setattr(Recording, "worker_commands", lambda self: [])
    figures = measure.enqueue_and_drain(system, Client(), measure.Plan(jobs=1000))
    return figures, system.events


def test_a_short_drain_is_taken_three_times_each_into_an_empty_queue(monkeypatch):
    figures, events = passes(monkeypatch, [900.0, 1100.0, 1000.0], [1.0, 0.5, 2.0])
    assert figures["enqueue"] == 1000.0 and figures["drain"] == 1000.0  # the medians
    assert figures["enqueue_passes"] == [900.0, 1100.0, 1000.0]
    assert figures["drain_passes"] == [1000.0, 2000.0, 500.0]
    assert events == ["reset", "enqueue 1000", "drain"] * measure.DRAINS


def test_a_long_drain_is_taken_once(monkeypatch):
    long = measure.SHORT_DRAIN + 0.5
    figures, events = passes(monkeypatch, [900.0], [long])
    assert figures["enqueue"] == 900.0 and figures["drain"] == 1000 / long
    assert events == ["reset", "enqueue 1000", "drain"]
