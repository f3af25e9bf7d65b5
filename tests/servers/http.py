"""A real HTTP server on a free loopback port that records requests and answers from a script."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers.ports import free_port


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver = self.server.receiver
        receiver._record(Request("POST", self.path, dict(self.headers.items()), body))
        response = receiver._next_response()
        time.sleep(response.delay)
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: "HTTPReceiver"


class HTTPReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.requests: list[Request] = []
        self._script: list[Response] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: dict | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        with self._lock:
            self._script.extend([Response(status, body, headers or {}, delay)] * times)

    def _next_response(self) -> Response:
        with self._lock:
            return self._script.pop(0) if self._script else Response()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> "HTTPReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "HTTPReceiver":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
