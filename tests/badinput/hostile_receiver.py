"""A loopback HTTP receiver that answers with whatever bytes a test scripts, as slowly as asked.

``tests/servers/http.py`` is a well-behaved server; this one plays a malicious
webhook receiver: a body of many megabytes, a body dribbled a byte at a time,
bytes that are not UTF-8. It counts what it managed to send, so a test can
tell that the client stopped reading.
"""

import socket
import threading
import time
from collections.abc import Iterator


class HostileReceiver:
    def __init__(self, head: bytes, chunks: Iterator[bytes], pause: float = 0.0) -> None:
        self.head = head
        self.chunks = chunks
        self.pause = pause
        self.sent = 0
        self.requests = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "HostileReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._socket.close()

    def _serve(self) -> None:
        try:
            connection, _ = self._socket.accept()
        except OSError:
            return  # closed before a client came
        with connection:
            self._read_request(connection)
            self.requests += 1
            try:
                connection.sendall(self.head)
                for chunk in self.chunks:
                    connection.sendall(chunk)
                    self.sent += len(chunk)
                    time.sleep(self.pause)
            except OSError:
                pass  # the client hung up: what a test wants to see

    @staticmethod
    def _read_request(connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += connection.recv(65536)


def answer(status: int = 200, length: int | None = None, headers: str = "") -> bytes:
    """A status line and headers; ``length`` is the Content-Length claimed."""
    claimed = f"Content-Length: {length}\r\n" if length is not None else ""
    return f"HTTP/1.1 {status} Whatever\r\n{claimed}{headers}\r\n".encode()
