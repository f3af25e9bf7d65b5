"""Job ids: UUIDs that sort in the order they were made (version 7, RFC 9562).

A random (version 4) id puts every new row at a random place in the primary-key
index, and claims, which break ties of priority and ``run_after`` by id, then walk
the table in random order: each batch of claims and successes dirties a page per
job in every index a status change touches. Time-ordered ids keep new rows, claims and
successes at the ends of those indexes, and run jobs of equal priority and due
time in the order they were enqueued.

Layout (as Python 3.14's ``uuid.uuid7``): 48 bits of Unix milliseconds, a 42-bit
counter started at a random value each millisecond and incremented within it, and
32 random bits, so ids made by one process are strictly increasing and still not
guessable from one another.
"""

import os
import threading
import time
import uuid

_COUNTER_BITS = 42
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
_VERSION_7 = (7 << 76) | (0b10 << 62)  # version nibble and RFC 4122 variant bits

_lock = threading.Lock()
_last_ms = 0
_last_counter = 0


def new_job_id() -> uuid.UUID:
    """One time-ordered id (``Job.id``'s default)."""
    return new_job_ids(1)[0]


def new_job_ids(count: int) -> list[uuid.UUID]:
    """``count`` time-ordered ids, increasing, with one read of the OS's random source."""
    global _last_ms, _last_counter  # the one piece of state, written under _lock
    entropy = os.urandom(4 * count + 6)
    with _lock:
        milliseconds, counter = _start(entropy[-6:])
        ids = []
        for offset in range(0, 4 * count, 4):
            counter += 1
            if counter > _COUNTER_MAX:  # 2 trillion ids in one millisecond: borrow the next
                milliseconds, counter = milliseconds + 1, 0
            ids.append(_build(milliseconds, counter, entropy[offset : offset + 4]))
        _last_ms, _last_counter = milliseconds, counter
    return ids


def _start(seed: bytes) -> tuple[int, int]:
    """The millisecond and counter the next id follows (call with ``_lock`` held).

    A new millisecond starts the counter at a random value below half its range, so
    increments never run out; a clock that stepped back keeps counting from the last id.
    """
    milliseconds = time.time_ns() // 1_000_000
    if milliseconds > _last_ms:
        return milliseconds, int.from_bytes(seed) & (_COUNTER_MAX >> 1)
    return _last_ms, _last_counter


def _build(milliseconds: int, counter: int, tail: bytes) -> uuid.UUID:
    value = (
        (milliseconds & 0xFFFF_FFFF_FFFF) << 80
        | (counter >> 30) << 64
        | (counter & 0x3FFF_FFFF) << 32
        | int.from_bytes(tail)
        | _VERSION_7
    )
    return uuid.UUID(int=value)
