"""A POST target on 127.0.0.1 that answers badly: huge, slow, or asking to wait for ages.

The first path segment names the scenario, the rest is what the client posts to (a webhook
path, or the mainserver's ``/oauth/token`` and ``/graphql``):

* ``/big-{n}/...``          200 with ``n`` bytes of JSON-ish text, streamed in chunks (never held);
  ``/oauth/token`` answers a normal token, so a MainserverClient gets as far as ``/graphql``
* ``/retry-after-{n}/...``  503 with ``Retry-After: n``
* ``/slow-{s}/...``         the answer ``{}`` after ``s`` seconds
* ``/ok/...``               200 ``{"data": {}}``

``written[path]`` counts the answer bytes the server managed to send (the client may hang up
before); ``hits[path]`` counts requests.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

_CHUNK = 64 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostilePostServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on purpose (size limits) are expected: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        owner = self.server.owner
        owner._count(self.path)
        scenario, _, rest = self.path.lstrip("/").partition("/")
        if rest.endswith("oauth/token"):
            return self._answer(200, json.dumps({"access_token": "t0k", "expires_in": 3600}).encode())
        if match := re.fullmatch(r"big-(\d+)", scenario):
            return self._big(int(match.group(1)))
        if match := re.fullmatch(r"retry-after-(\d+)", scenario):
            return self._answer(503, b"later", {"Retry-After": match.group(1)})
        if match := re.fullmatch(r"slow-([\d.]+)", scenario):
            time.sleep(float(match.group(1)))
            return self._answer(200, b"{}")
        return self._answer(200, b'{"data": {}}')

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.server.owner._wrote(self.path, len(body))

    def _big(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * _CHUNK
        left = size
        try:
            while left > 0:
                part = chunk[: min(left, _CHUNK)]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.server.owner._wrote(self.path, len(part))
                left -= len(part)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True


class HostilePostServer:
    """Start with ``with HostilePostServer() as srv:``; ``srv.url("/big-1000/hook")``."""

    def __init__(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._lock = threading.Lock()
        self.written: dict[str, int] = {}
        self.hits: dict[str, int] = {}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def _count(self, path: str) -> None:
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1

    def _wrote(self, path: str, n: int) -> None:
        with self._lock:
            self.written[path] = self.written.get(path, 0) + n

    def __enter__(self) -> HostilePostServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
