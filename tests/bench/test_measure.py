"""``bench/measure.py``: a run's bulk rate is the median of its calls, each into an empty queue,
a short drain is taken three times, the median kept, timed once both worker processes run jobs."""

import contextlib
import itertools

import pytest

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

    def starts(client):
        system.events.append("drain")
        seconds = next(durations)
        return [(0.0, "1"), (0.0, "2"), (seconds, "1")]  # two jobs once both run

    monkeypatch.setattr(measure, "enqueue_one_by_one", enqueue_one_by_one)
    monkeypatch.setattr(measure, "WorkerGroup", lambda commands: contextlib.nullcontext())
    monkeypatch.setattr(measure, "wait_for_done", lambda *args: None)
    monkeypatch.setattr(measure, "starts_by_process", starts)
    monkeypatch.setattr(Recording, "worker_commands", lambda self: [])
    figures = measure.enqueue_and_drain(system, Client(), measure.Plan(jobs=3))
    return figures, system.events


def test_a_short_drain_is_taken_three_times_each_into_an_empty_queue(monkeypatch):
    figures, events = passes(monkeypatch, [900.0, 1100.0, 1000.0], [1.0, 0.5, 2.0])
    assert figures["enqueue"] == 1000.0 and figures["drain"] == 2.0  # the medians
    assert figures["enqueue_passes"] == [900.0, 1100.0, 1000.0]
    assert figures["drain_passes"] == [2.0, 4.0, 1.0]
    assert figures["drain_from_first_job_passes"] == [3.0, 6.0, 1.5]
    assert events == ["reset", "enqueue 3", "drain"] * measure.DRAINS


def test_a_long_drain_is_taken_once(monkeypatch):
    long = 3 * measure.SHORT_DRAIN
    figures, events = passes(monkeypatch, [900.0], [long])
    assert figures["enqueue"] == 900.0 and figures["drain"] == 2 / long
    assert events == ["reset", "enqueue 3", "drain"]


def test_a_drain_is_timed_from_when_the_second_worker_process_runs_jobs():
    starts = [(10.0, "a"), (10.5, "a"), (11.0, "b")] + [
        (11.0 + n / 10, "ab"[n % 2]) for n in range(1, 11)
    ]
    both_running, from_first = measure.drain_rates(starts)
    assert both_running == 11 / 1.0  # from 11.0 to 12.0
    assert from_first == 13 / 2.0  # from 10.0, with the first process alone


def test_a_process_replacing_a_worker_does_not_move_the_start_of_the_drain():
    starts = [(0.0, "a"), (1.0, "b"), (2.0, "a"), (3.0, "c"), (4.0, "b")]
    assert measure.drain_rates(starts) == (4 / 3.0, 5 / 4.0)


def test_a_drain_whose_second_worker_process_ran_only_its_end_is_an_error():
    starts = [(float(n), "a") for n in range(10)] + [(10.0, "b")]
    with pytest.raises(RuntimeError, match="after 10 of 11 jobs"):
        measure.drain_rates(starts)


class Ran:
    def __init__(self, items: list[str]) -> None:
        self.items = items

    def lrange(self, key: str, start: int, end: int) -> list[str]:
        assert (key, start, end) == ("bench:ran", 0, -1)
        return self.items


def test_the_jobs_starts_are_read_in_the_order_they_started():
    starts = measure.starts_by_process(Ran(["7 12.5", "8 12.25", "7 12.75"]))
    assert starts == [(12.25, "8"), (12.5, "7"), (12.75, "7")]


def test_a_drain_without_any_recorded_start_is_an_error():
    with pytest.raises(RuntimeError, match="no benchmark job"):
        measure.starts_by_process(Ran([]))
