"""``bench/measure.py``: a run's bulk rate is the median of its calls, each into an empty queue."""

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
