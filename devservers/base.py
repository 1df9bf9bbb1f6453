"""What every local stand-in shares: a threading HTTP server in a daemon thread, its state
for the tests to read, and injected faults (failures, delays).

    running = serve(BlueMindDevServer)            # 127.0.0.1, a free port
    running.url                                  # "http://127.0.0.1:41234"
    running.state.users                          # the system's in-memory data
    running.fail_next(2, status=503)             # the next two requests answer 503
    running.delay_next(1.5)                      # the next request waits 1.5 s first
    running.requests                             # [("GET", "/api/users/..."), ...]
    running.stop()

A subclass of `DevServer` gives `new_state()` and `route(request) -> DevResponse`; the
handler reads the request, applies the faults, calls `route`, and writes the answer.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit


@dataclass
class DevRequest:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class DevResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"

    @classmethod
    def json(cls, data: Any, status: int = 200) -> DevResponse:
        return cls(status, json.dumps(data).encode(), "application/json; charset=utf-8")

    @classmethod
    def xml(cls, text: str, status: int = 200) -> DevResponse:
        return cls(status, text.encode(), "text/xml; charset=utf-8")

    @classmethod
    def text(cls, text: str, status: int = 200) -> DevResponse:
        return cls(status, text.encode())


@dataclass
class FaultPlan:
    """Faults for the next requests, in arrival order; thread-safe."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _failures: deque[int] = field(default_factory=deque)
    _delays: deque[float] = field(default_factory=deque)

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * n)

    def delay_next(self, seconds: float, n: int = 1) -> None:
        with self._lock:
            self._delays.extend([seconds] * n)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._delays.clear()

    def take(self) -> tuple[float, int | None]:
        with self._lock:
            delay = self._delays.popleft() if self._delays else 0.0
            failure = self._failures.popleft() if self._failures else None
        return delay, failure


class DevHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    server: DevServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = DevRequest(
            method=self.command,
            path=parts.path,
            raw_query=parts.query,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        with self.server.lock:
            self.server.requests.append((request.method, request.path))
        delay, failure = self.server.faults.take()
        if delay:
            time.sleep(delay)
        if failure is not None:
            response = self.server.fault_response(failure)
        else:
            with self.server.lock:
                response = self.server.route(request)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class DevServer(ThreadingHTTPServer):
    """One stand-in. Requests are served one at a time against the state (a lock), but the
    injected delays are spent outside it, so a slow request does not hold the others."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    handler_class: ClassVar[type[DevHandler]] = DevHandler

    def __init__(self, address: tuple[str, int], *, verbose: bool = False) -> None:
        super().__init__(address, self.handler_class)
        self.verbose = verbose
        self.lock = threading.RLock()
        self.state = self.new_state()
        self.faults = FaultPlan()
        self.requests: list[tuple[str, str]] = []

    def new_state(self) -> Any:
        raise NotImplementedError

    def route(self, request: DevRequest) -> DevResponse:
        raise NotImplementedError

    def fault_response(self, status: int) -> DevResponse:
        """An injected failure, as a front proxy would answer it."""
        return DevResponse.text(f"{status} injected by the local stand-in\n", status)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its time-out) closes the socket under a delayed answer.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def credentials(self) -> dict[str, str]:
        """What a connector needs to reach this stand-in (printed by `main`)."""
        return {}


class RunningServer:
    """A stand-in serving in a daemon thread."""

    def __init__(self, server: DevServer, thread: threading.Thread) -> None:
        self.server = server
        self._thread = thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def state(self) -> Any:
        return self.server.state

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self.server.requests

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        self.server.faults.fail_next(n, status)

    def delay_next(self, seconds: float, n: int = 1) -> None:
        self.server.faults.delay_next(seconds, n)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(
    server_class: type[DevServer], host: str = "127.0.0.1", port: int = 0, **options: Any
) -> RunningServer:
    """Start `server_class` on host:port (0: a free port) in a daemon thread."""
    server = server_class((host, port), **options)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"{server_class.__name__}-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return RunningServer(server, thread)


def main(server_class: type[DevServer], argv: list[str] | None = None) -> None:
    """`python -m devservers.<name> [--host H] [--port N]`: serve until interrupted."""
    parser = argparse.ArgumentParser(description=(server_class.__doc__ or "").strip())
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args(argv)
    running = serve(server_class, options.host, options.port, verbose=True)
    print(f"{server_class.__name__} on {running.url}", flush=True)
    for key, value in running.server.credentials().items():
        print(f"  {key} = {value}", flush=True)
    try:
        signal.pause()  # until Ctrl-C
    except KeyboardInterrupt:
        running.stop()
