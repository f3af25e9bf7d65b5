"""SIGTERM/SIGINT handling: the handlers only set events; the main loop does the stopping.

Logging or exiting inside a signal handler can deadlock or corrupt state (the
handler interrupts arbitrary code), so the first signal sets ``stop`` and the
second sets ``force``.
"""

import signal
import threading
from types import FrameType


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
