"""Stop a task's code from outside: its ``timeout``, or an operator's cancel.

Python cannot kill a thread. For a coroutine we cancel it (``asyncio.wait_for``);
for a plain function an exception is raised inside the running thread
(``PyThreadState_SetAsyncExc``), which takes effect at the next Python bytecode:
code blocked inside a C call is interrupted when that call returns. A lock makes
sure the exception can only land while the task code is still running.

While a plain function runs, its interrupter is registered under the job id, so
the worker's heartbeat can deliver an operator's cancel to exactly that job.
"""

import asyncio
import ctypes
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any

from django_jobs.exceptions import JobCancelled, JobTimeout

_running: dict[Any, "ThreadInterrupter"] = {}
_running_lock = threading.Lock()


class ThreadInterrupter:
    """Context manager: while inside, ``interrupt()`` raises an exception in this thread."""

    def __init__(self, job_id: Any, timeout: float | None) -> None:
        self._job_id = job_id
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._armed = False
        self._timer = None
        if timeout is not None:
            self._timer = threading.Timer(timeout, self.interrupt, args=[JobTimeout])
            self._timer.daemon = True

    def interrupt(self, exception: type[BaseException]) -> bool:
        """Raise ``exception`` in the task's thread; False when the task already returned."""
        with self._lock:
            if self._armed:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread_id), ctypes.py_object(exception)
                )
                self._armed = False  # one exception per run
                return True
        return False

    def __enter__(self) -> "ThreadInterrupter":
        self._armed = True
        with _running_lock:
            _running[self._job_id] = self
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._armed = False
        if self._timer is not None:
            self._timer.cancel()
        with _running_lock:
            _running.pop(self._job_id, None)


def call_sync(func: Callable[[], Any], timeout: float | None, job_id: Any = None) -> Any:
    with ThreadInterrupter(job_id, timeout):
        return func()


def cancel_running(job_id: Any) -> bool:
    """Raise ``JobCancelled`` in job ``job_id``'s code if it runs here as a plain function."""
    with _running_lock:
        interrupter = _running.get(job_id)
    return interrupter is not None and interrupter.interrupt(JobCancelled)


async def call_async(coroutine: Coroutine[Any, Any, Any], timeout: float | None) -> Any:
    if timeout is None:
        return await coroutine
    try:
        return await asyncio.wait_for(coroutine, timeout)
    except TimeoutError as exc:
        raise JobTimeout(f"task exceeded its timeout of {timeout}s") from exc
