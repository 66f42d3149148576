"""A real HTTP server on 127.0.0.1 that answers with raw bytes: any status line, any headers.

For fuzzing the adapters (tests/test_fuzz_sources.py, bench/fuzz_sources.py): a route maps a
path (without query) to a :class:`Raw` answer or to a function of the request that returns one.
The answer is written exactly as given (a Content-Length that lies, a latin-1 Location, a body
that ends early), then the connection is closed, so every answer is one request's.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: How long the server waits for a request's bytes before it gives up on the connection.
_READ_TIMEOUT = 5.0


@dataclass(frozen=True)
class Request:
    """What the server read of one request."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Raw:
    """One answer, sent byte for byte: ``status`` and ``reason`` on the status line, ``headers``
    as given (nothing added: no Content-Length unless listed), then ``body``."""

    status: int = 200
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    reason: bytes = b"OK"

    def encode(self) -> bytes:
        head = b"HTTP/1.1 %d %s\r\n" % (self.status, self.reason)
        head += b"".join(name + b": " + value + b"\r\n" for name, value in self.headers)
        return head + b"Connection: close\r\n\r\n" + self.body


def answer(status: int, body: bytes, content_type: bytes, **more: bytes) -> Raw:
    """A well-formed answer (Content-Type, Content-Length, extra headers by name)."""
    headers = [(b"Content-Type", content_type), (b"Content-Length", str(len(body)).encode())]
    headers += [(name.replace("_", "-").encode(), value) for name, value in more.items()]
    return Raw(status, tuple(headers), body)


Route = Raw | Callable[[Request], Raw]


@dataclass
class RawServer:
    """Start with ``.start()``; ``routes`` may be replaced between runs."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def start(self) -> RawServer:
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(_READ_TIMEOUT)
                try:
                    request = _read_request(conn)
                except (OSError, ValueError):
                    return
                if request is None:
                    return
                server.requests.append(request)
                route = server.routes.get(request.path)
                if route is None:
                    raw = answer(404, b"not found", b"text/plain")
                else:
                    raw = route if isinstance(route, Raw) else route(request)
                try:
                    conn.sendall(raw.encode())
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1_000_000:
            raise ValueError("request head too long")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or "0")
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    parts = urlsplit(target)
    return Request(method, parts.path, parts.query, headers, rest[:length])
