"""Tasks the tests enqueue, shared by every test module (like Django's tests/tasks/tasks.py)."""

import asyncio
import os
import sys
import time

from django_jobs import task
from django_jobs.exceptions import PermanentFailure, RetryLater


def _ledger(line: str) -> None:
    """Record a run outside the job table, so tests count real executions."""
    path = os.environ.get("JOBS_TEST_LEDGER")
    if path:
        with open(path, "a") as ledger:
            ledger.write(line + "\n")


@task
def noop() -> None:
    return None


@task
def add(a: int, b: int) -> int:
    return a + b


@task(queue_name="emails")
def echo(*args, **kwargs) -> dict:
    return {"args": list(args), "kwargs": kwargs}


@task
def record(n: int) -> int:
    _ledger(str(n))
    return n


@task
def sleep_then_record(n: int, seconds: float) -> int:
    _ledger(f"start {n}")
    time.sleep(seconds)
    _ledger(f"end {n}")
    return n


@task
def busy_for(n: int, seconds: float) -> int:
    """Python-level work (short sleeps), so a cancel or timeout can stop it."""
    _ledger(f"start {n}")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.01)
    _ledger(f"end {n}")
    return n


@task(max_attempts=10, takes_context=True)
def drill(context, n: int, seconds: float = 0.0) -> int:
    """A fault-test job: each attempt records its start and end, so reruns can be told
    from double claims; many attempts, so repeated kills do not exhaust them."""
    _ledger(f"start {n} {context.attempt}")
    if seconds:
        time.sleep(seconds)
    _ledger(f"end {n} {context.attempt}")
    return context.attempt


@task(max_attempts=3)
def always_fail(message: str = "boom") -> None:
    raise ValueError(message)


@task(max_attempts=3, takes_context=True)
def fail_until(context, succeed_on: int) -> int:
    if context.attempt < succeed_on:
        raise ConnectionError(f"attempt {context.attempt} fails")
    return context.attempt


@task(max_attempts=5, takes_context=True)
def retry_later(context, delay: float | None = None) -> int:
    if context.attempt == 1:
        raise RetryLater(delay=delay)
    return context.attempt


@task(max_attempts=5)
def permanent() -> None:
    raise PermanentFailure("not worth retrying")


@task(max_attempts=4, retry_on=(ConnectionError,))
def only_connection_errors(kind: str) -> None:
    raise ConnectionError("net") if kind == "connection" else KeyError("bug")


@task(max_attempts=2)
def system_exit() -> None:
    sys.exit(3)


@task
async def async_add(a: int, b: int) -> int:
    await asyncio.sleep(0.01)
    return a + b


@task(takes_context=True)
def attempt_number(context) -> int:
    return context.attempt


@task(max_attempts=1, timeout=0.3)
def too_slow() -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.01)


@task(max_attempts=1, timeout=0.2)
async def too_slow_async() -> None:
    await asyncio.sleep(5)


@task
def returns_object() -> object:
    return object()


UNSTORABLE = {"nul": "a\x00b", "surrogate": "\ud800", "int keys": {1: "one"}}


@task
def returns_unstorable(kind: str) -> object:
    return UNSTORABLE[kind]


not_a_task = print
