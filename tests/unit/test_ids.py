"""Job ids: version 7 UUIDs, strictly increasing within a process, not guessable."""

import threading
import time
import uuid

from django_jobs import ids


def milliseconds(job_id: uuid.UUID) -> int:
    return job_id.int >> 80


def test_ids_are_rfc_9562_version_7_carrying_the_current_millisecond():
    before = time.time_ns() // 1_000_000
    job_id = ids.new_job_id()
    after = time.time_ns() // 1_000_000
    assert job_id.version == 7 and job_id.variant == uuid.RFC_4122
    assert before <= milliseconds(job_id) <= after


def test_ids_increase_strictly_within_a_millisecond_and_across_batches():
    made = [*ids.new_job_ids(5000), ids.new_job_id(), *ids.new_job_ids(3)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert str(made[0]) < str(made[-1])  # the text form sorts the same way


def test_ids_keep_increasing_when_the_clock_steps_back(monkeypatch):
    first = ids.new_job_id()
    monkeypatch.setattr(time, "time_ns", lambda: (milliseconds(first) - 60_000) * 1_000_000)
    later = ids.new_job_ids(3)
    assert [first, *later] == sorted({first, *later})


def test_ids_from_many_threads_are_unique():
    made: list[uuid.UUID] = []

    def make() -> None:
        made.extend(ids.new_job_ids(1000))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8000


def test_neighbouring_ids_differ_in_random_bits():
    """The counter orders ids; 32 random bits keep a neighbour's id from being guessed."""
    first, second = ids.new_job_ids(2)
    assert second.int - first.int != 1 << 32  # not just the counter's step
    tails = {job_id.int & 0xFFFF_FFFF for job_id in ids.new_job_ids(100)}
    assert len(tails) > 90
