"""A real SMTP server (aiosmtpd) on a free loopback port that records what it accepts.

Tests script failures: ``fail_next(451)`` answers the next DATA commands with a
transient error, ``reject_recipient(addr)`` refuses a recipient permanently.
"""

import email
import email.policy
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.servers.ports import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


class _Handler:
    def __init__(self, server: "SMTPServer") -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        code = self.server.rejected.get(address.lower())
        if code:
            return f"{code} 5.1.1 <{address}>: recipient rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.server.lock:
            if self.server.failures:
                code, message = self.server.failures.pop(0)
                return f"{code} {message}"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed)
            )
        return "250 Message accepted"


class SMTPServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.failures: list[tuple[int, str]] = []
        self.rejected: dict[str, int] = {}
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    def start(self) -> "SMTPServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def fail_next(self, code: int = 451, message: str = "4.3.0 try again later", times: int = 1):
        with self.lock:
            self.failures.extend([(code, message)] * times)

    def reject_recipient(self, address: str, code: int = 550) -> None:
        self.rejected[address.lower()] = code

    def wait_for_messages(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} messages within {timeout}s")
            time.sleep(0.02)
        return self.received

    def __enter__(self) -> "SMTPServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
