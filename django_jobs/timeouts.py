"""Enforce a task's ``timeout`` in the thread that runs it.

Python cannot kill a thread. For a coroutine we cancel it (``asyncio.wait_for``);
for a plain function a timer raises ``JobTimeout`` inside the running thread
(``PyThreadState_SetAsyncExc``), which takes effect at the next Python bytecode:
code blocked inside a C call is interrupted when that call returns. A lock makes
sure the exception can only land while the task code is still running.
"""

import asyncio
import ctypes
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any

from django_jobs.exceptions import JobTimeout


class ThreadDeadline:
    """Context manager: raise JobTimeout in this thread after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._armed = True
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        with self._lock:
            if self._armed:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread_id), ctypes.py_object(JobTimeout)
                )

    def __enter__(self) -> "ThreadDeadline":
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
        self._timer.cancel()


def call_sync(func: Callable[[], Any], timeout: float | None) -> Any:
    if timeout is None:
        return func()
    with ThreadDeadline(timeout):
        return func()


async def call_async(coroutine: Coroutine[Any, Any, Any], timeout: float | None) -> Any:
    if timeout is None:
        return await coroutine
    try:
        return await asyncio.wait_for(coroutine, timeout)
    except TimeoutError as exc:
        raise JobTimeout(f"task exceeded its timeout of {timeout}s") from exc
