"""Work started now on a thread of its own, its result collected later: ``Ahead``.

``enqueue_many`` INSERTs thousands of rows a few thousand per statement, and the
database driver releases the GIL while the database writes them. Work started on
another thread just before runs in that time on another core instead of after it:
huey mode signs a batch's messages there (``HueyBackend.prepare_alike``).
"""

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class Ahead(Generic[T]):
    """``work()`` running on a daemon thread started at once; ``result()`` waits for it."""

    def __init__(self, work: Callable[[], T], *, name: str) -> None:
        self._future: Future[T] = Future()
        threading.Thread(target=self._run, args=(work,), name=name, daemon=True).start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._future.set_result(work())
        except BaseException as exc:  # noqa: BLE001 - raised again in result(), where it is awaited
            self._future.set_exception(exc)

    def result(self) -> T:
        """What ``work()`` returned, once it has; what it raised, raised here."""
        return self._future.result()
