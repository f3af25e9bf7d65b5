"""Python's cyclic garbage collector paused while a bulk call builds thousands of objects.

CPython starts a collection whenever the container objects allocated outnumber those
freed by a threshold (700), and a full collection of the whole process once the
objects surviving young collections reach a quarter of the old ones. A 5,000-job
``enqueue_many`` builds some 20,000 containers (each job's result and its lists) that
all live until it returns and form no cycle: collecting while they are built only
walks them again and again, and usually ends in a full collection, tens of
milliseconds in a process of ordinary size. With the collector paused, the batch's
objects are freed by reference counting once the caller drops them, and a caller that
keeps them pays at most what it paid before, later. Mercurial pauses its collector
the same way while it builds large structures (``util.nogc``).
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the collector off, then leave it as it was before.

    Nested and concurrent uses (threads share the collector) are counted: the collector
    comes back when the last of them ends, and only if it was on when the first began.
    """
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
