"""What the measuring code needs from each system under test (ours, a peer, a raw loop)."""

import sys


class System:
    """One row of the table: how to enqueue the benchmark job and how to start workers.

    Subclasses live in ``bench/peers/``, one small module per system. Everything here
    runs inside the system's own virtualenv, so it imports only the standard library.
    """

    name = ""
    #: Worker processes per run; 0 means jobs run inside ``enqueue()`` (immediate modes).
    processes = 2

    def setup(self) -> None:
        """Once per row, before the first run: schema, connections, Django."""

    def reset(self) -> None:
        """Forget every job and result of the previous run (Redis is flushed separately)."""

    def enqueue(self, enqueued_at: float) -> None:
        raise NotImplementedError("System subclasses must define enqueue()")

    def enqueue_bulk(self, count: int) -> bool:
        """Enqueue ``count`` jobs in one call; False when the system has no such call."""
        return False

    def sent(self) -> None:
        """Wait until what was enqueued has left this process, for a system that sends in the
        background: the enqueue and bulk rates are timed up to here."""

    def worker_command(self) -> list[str]:
        """One worker process; ``processes`` of them are started per run."""
        raise NotImplementedError("System subclasses with workers must define worker_command()")

    def worker_commands(self) -> list[list[str]]:
        return [self.worker_command() for _ in range(self.processes)]


def python() -> str:
    """The interpreter of the virtualenv the driver runs in, for its worker processes."""
    return sys.executable
