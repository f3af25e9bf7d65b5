"""Counting the Redis commands a block of code sends through one huey's storage."""

import contextlib
from unittest import mock


@contextlib.contextmanager
def count_redis_commands(huey):
    """The commands ``huey``'s storage sends in the block: "pipeline" for a whole pipeline."""
    sent: list[str] = []
    connection = huey.storage.conn
    execute_command, pipeline = connection.execute_command, connection.pipeline

    def single(*args, **kwargs):
        sent.append(args[0])
        return execute_command(*args, **kwargs)

    def batched(*args, **kwargs):
        sent.append("pipeline")
        return pipeline(*args, **kwargs)

    with (
        mock.patch.object(connection, "execute_command", single),
        mock.patch.object(connection, "pipeline", batched),
    ):
        yield sent
