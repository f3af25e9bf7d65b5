"""Run a function in several threads at once, each with its own database connection."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections


def run_concurrently(func: Callable[[], Any], threads: int) -> list[Any]:
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def target() -> None:
        try:
            start.wait()
            value = func()
            with lock:
                results.append(value)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=target) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results
