"""A ``task_enqueued`` receiver that raises, for the tests of what an enqueue then keeps."""

import contextlib

import pytest

from django_jobs.compat import task_enqueued


@contextlib.contextmanager
def enqueue_raising_in_a_receiver():
    """The block's one enqueue must raise the receiver's error; disconnected afterwards."""

    def refuse(sender, task_result, **kwargs):
        raise RuntimeError("receiver failed")

    task_enqueued.connect(refuse)
    try:
        with pytest.raises(RuntimeError, match="receiver failed"):
            yield
    finally:
        task_enqueued.disconnect(refuse)
