"""SIGTERM/SIGINT handling: the handlers only set events; the main loop does the stopping.

Logging or exiting inside a signal handler can deadlock or corrupt state (the
handler interrupts arbitrary code), so the first signal sets ``stop`` and the
second sets ``force``.
"""

import signal
import threading
from types import FrameType

EXIT_OK = 0  # stopped by a first signal: running jobs finished or were handed back
EXIT_FORCED = 1  # a second signal: running jobs were handed back at once


class StopSignals:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.force = threading.Event()

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            self.force.set()
        self.stop.set()
