"""A real HTTP server on a free loopback port, in a thread, with switches for misbehaviour.

Each system's stub is a :class:`StubApp`: it routes a :class:`Request` to a :class:`Response` and
says how that system refuses credentials and signals a rate limit. The runner adds the faults the
live tests need: latency, small pages, a rate limit, a 5xx, an auth failure, a hang.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["Faults", "Request", "Response", "StubApp", "StubServer", "json_response"]


@dataclass
class Faults:
    """Switches a test flips; counters count down as requests arrive."""

    latency: float = 0.0
    page_size: int | None = None
    rate_limit_next: int = 0
    retry_after: float = 1.0
    fail_next: int = 0
    auth_fail: bool = False
    hang: bool = False


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, json.dumps(data).encode(), merged)


class StubApp:
    """One system's API. Subclasses implement ``route``, ``authorized`` and the error bodies."""

    name = "stub"

    def __init__(self) -> None:
        self.faults = Faults()
        self.base_url = ""  # set by the server once it listens

    def page_size(self, asked: int) -> int:
        return min(asked, self.faults.page_size) if self.faults.page_size else asked

    def authorized(self, request: Request) -> bool:
        return True

    def unauthorized(self, request: Request) -> Response:
        return json_response({"message": "Unauthorized"}, 401)

    def rate_limited(self, request: Request) -> Response:
        return json_response({"message": "rate limited"}, 429,
                             {"Retry-After": f"{self.faults.retry_after:g}"})

    def server_error(self, request: Request) -> Response:
        return json_response({"message": "Service Unavailable"}, 503)

    def exempt(self, request: Request) -> bool:
        """Requests the fault switches leave alone (e.g. an OAuth token exchange)."""
        return False

    def route(self, request: Request) -> Response:
        raise NotImplementedError


class StubServer:
    """Serve a StubApp on 127.0.0.1:<free port> until stopped; keeps a log of requests."""

    def __init__(self, app: StubApp) -> None:
        self.app = app
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, delayed ACKs add ~40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  dict(self.headers.items()), body)
                response = server.handle(request)
                if response is None:
                    return
                try:
                    self.send_response(response.status)
                    for key, value in response.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        app.base_url = self.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True,
                                        name=f"stub-{app.name}")

    @property
    def faults(self) -> Faults:
        return self.app.faults

    def handle(self, request: Request) -> Response | None:
        with self._lock:
            self.requests.append(request)
            faults = self.app.faults
            exempt = self.app.exempt(request)
            if faults.hang and not exempt:
                hang = True
            else:
                hang = False
            fault: str | None = None
            if not exempt and not hang:
                if faults.auth_fail:
                    fault = "auth"
                elif faults.rate_limit_next > 0:
                    faults.rate_limit_next -= 1
                    fault = "rate"
                elif faults.fail_next > 0:
                    faults.fail_next -= 1
                    fault = "fail"
        if hang:
            self._stop.wait(60)
            return None
        if faults.latency:
            time.sleep(faults.latency)
        if fault == "auth" or (fault is None and not exempt and not self.app.authorized(request)):
            return self.app.unauthorized(request)
        if fault == "rate":
            return self.app.rate_limited(request)
        if fault == "fail":
            return self.app.server_error(request)
        try:
            return self.app.route(request)
        except KeyError as exc:
            return json_response({"message": f"Not Found: {exc}"}, 404)

    def reset(self) -> None:
        """Back to a well-behaved server with an empty request log."""
        self.app.faults = Faults()
        self.requests.clear()
        self._stop.set()  # release any request still hanging from the last test
        self._stop = threading.Event()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
