"""A real HTTP server on 127.0.0.1 that misbehaves on request, for HTTP and fault-injection tests.

Start it with ``with FaultyServer() as server:`` (or ``start()``/``stop()``) and build URLs with
``server.url("/fail/500/2/tok")``. The scenario is selected by the path; ``{token}`` segments
keep counters apart, so each test uses a fresh token and "fail N times, then succeed" works.

Scenarios (all GET):

* ``/json``                             200, JSON echo: raw query, path, User-Agent, Authorization?
* ``/status/{code}``                    that status with a small text body
* ``/fail/{status}/{n}/{token}``        ``status`` the first n times, then 200 JSON
* ``/retry-after/{seconds}/{token}``    429 with ``Retry-After: seconds`` once, then 200 JSON
* ``/retry-after-503/{seconds}/{token}`` the same with 503
* ``/retry-after-always/{seconds}``     429 with ``Retry-After: seconds``, every time
* ``/slow-headers/{seconds}``           sleeps before answering (read timeouts, concurrency)
* ``/trickle/{bytes_per_chunk}/{interval}/{total}``  Content-Length ``total``, sent very slowly
* ``/reset`` or ``/reset/{n}/{token}``  promises 1000 bytes, sends 100, closes (always / n times)
* ``/big/{n}``                          n bytes with Content-Length
* ``/big-chunked/{n}``                  n bytes, chunked, no Content-Length
* ``/redirect/{target}``                302 to the percent-decoded ``target`` (absolute or relative)
* ``/redirect-loop/{n}``                a cycle of n URLs redirecting to each other
* ``/redirect-chain/{n}``               n redirects, then 200 JSON
* ``/html200``                          an HTML error page with status 200
* ``/latin1-redirect``                  302 with a raw latin-1 byte in Location (``/echo/bi/sitzung_\\xfcbersicht.asp``)
* ``/utf8-redirect``                    the same Location in UTF-8, with a space in its query
* ``/echo/{anything}``                  200 JSON echo of the raw request path

``FaultyServer(host="::1")`` serves on IPv6; ``FaultyServer(tls=(certfile, keyfile))`` speaks HTTPS.

Every request is recorded in ``server.requests`` (path and headers); ``server.hits(path)``
counts them and ``server.max_in_flight`` is the highest number of concurrent requests seen.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    faulty: FaultyServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on purpose (timeouts, size limits) are expected: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        faulty = self.server.faulty
        faulty._enter(RecordedRequest(self.path, dict(self.headers.items())))
        try:
            path = urlsplit(self.path).path
            for pattern, handler in _ROUTES:
                match = pattern.fullmatch(path)
                if match:
                    handler(self, *match.groups())
                    return
            self._send(404, b"no such scenario", "text/plain")
        except (TimeoutError, ConnectionError):
            self.close_connection = True
        finally:
            faulty._leave()

    # -- helpers --------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: dict[str, Any], status: int = 200) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _count(self) -> int:
        return self.server.faulty.count(urlsplit(self.path).path)

    # -- scenarios ------------------------------------------------------------------------------

    def echo(self) -> None:
        parts = urlsplit(self.path)
        self._json(
            {
                "path": parts.path,
                "query": parts.query,
                "user_agent": self.headers.get("User-Agent"),
                "authorization": self.headers.get("Authorization") is not None,
            }
        )

    def status(self, code: str) -> None:
        self._send(int(code), f"status {code}".encode(), "text/plain")

    def fail(self, status: str, n: str, _token: str) -> None:
        attempt = self._count()
        if attempt <= int(n):
            self._send(int(status), f"failure {attempt}".encode(), "text/plain")
        else:
            self._json({"ok": True, "attempt": attempt})

    def retry_after(self, seconds: str, _token: str, status: int = 429) -> None:
        attempt = self._count()
        if attempt == 1:
            self._send(status, b"slow down", "text/plain", {"Retry-After": seconds})
        else:
            self._json({"ok": True, "attempt": attempt})

    def retry_after_always(self, seconds: str) -> None:
        self._send(429, b"slow down", "text/plain", {"Retry-After": seconds})

    def retry_after_503(self, seconds: str, token: str) -> None:
        self.retry_after(seconds, token, status=503)

    def slow_headers(self, seconds: str) -> None:
        time.sleep(float(seconds))
        self._json({"ok": True})

    def trickle(self, per_chunk: str, interval: str, total: str) -> None:
        size, step, pause = int(total), int(per_chunk), float(interval)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        while sent < size:
            chunk = b"x" * min(step, size - sent)
            self.wfile.write(chunk)
            self.wfile.flush()
            sent += len(chunk)
            time.sleep(pause)

    def reset(self, n: str | None = None, _token: str | None = None) -> None:
        if n is not None and self._count() > int(n):
            self._json({"ok": True})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"{" + b" " * 99)
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def big(self, n: str) -> None:
        self._send(200, b"x" * int(n), "application/octet-stream")

    def big_chunked(self, n: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        left = int(n)
        while left > 0:
            size = min(left, 16 * 1024)
            self.wfile.write(f"{size:x}\r\n".encode() + b"x" * size + b"\r\n")
            left -= size
        self.wfile.write(b"0\r\n\r\n")

    def redirect(self, target: str) -> None:
        self._send(302, b"", "text/plain", {"Location": unquote(target)})

    def redirect_loop(self, n: str, i: str | None = None) -> None:
        nxt = (int(i or 0) + 1) % int(n)
        self._send(302, b"", "text/plain", {"Location": f"/redirect-loop/{n}/{nxt}"})

    def redirect_chain(self, n: str) -> None:
        if int(n) <= 0:
            self._json({"ok": True})
        else:
            self._send(302, b"", "text/plain", {"Location": f"/redirect-chain/{int(n) - 1}"})

    def latin1_redirect(self) -> None:
        # http.server writes header values as latin-1: the Location holds the byte 0xFC.
        self._send(302, b"", "text/plain", {"Location": "/echo/bi/sitzung_\xfcbersicht.asp"})

    def utf8_redirect(self) -> None:
        # The same Location written in UTF-8: the bytes 0xC3 0xBC (latin-1 characters here).
        self._send(302, b"", "text/plain", {"Location": "/echo/bi/sitzung_\xc3\xbcbersicht.asp?a b"})

    def echo_path(self, _rest: str) -> None:
        self._json({"path": self.path})

    def html200(self) -> None:
        page = b"<html><body><h1>Fehler</h1><p>Die Sitzung ist abgelaufen.</p></body></html>"
        self._send(200, page, "text/html; charset=utf-8")


_TABLE: list[tuple[str, Callable[..., None]]] = [
    (r"/json", _Handler.echo),
    (r"/status/(\d{3})", _Handler.status),
    (r"/fail/(\d{3})/(\d+)/([^/]+)", _Handler.fail),
    (r"/retry-after/([^/]+)/([^/]+)", _Handler.retry_after),
    (r"/retry-after-503/([^/]+)/([^/]+)", _Handler.retry_after_503),
    (r"/retry-after-always/([^/]+)", _Handler.retry_after_always),
    (r"/slow-headers/([\d.]+)", _Handler.slow_headers),
    (r"/trickle/(\d+)/([\d.]+)/(\d+)", _Handler.trickle),
    (r"/reset(?:/(\d+)/([^/]+))?", _Handler.reset),
    (r"/big/(\d+)", _Handler.big),
    (r"/big-chunked/(\d+)", _Handler.big_chunked),
    (r"/redirect/(.+)", _Handler.redirect),
    (r"/redirect-loop/(\d+)(?:/(\d+))?", _Handler.redirect_loop),
    (r"/redirect-chain/(\d+)", _Handler.redirect_chain),
    (r"/html200", _Handler.html200),
    (r"/latin1-redirect", _Handler.latin1_redirect),
    (r"/utf8-redirect", _Handler.utf8_redirect),
    (r"/echo/(.*)", _Handler.echo_path),
]
_ROUTES = [(re.compile(pattern), handler) for pattern, handler in _TABLE]


class _Server6(_Server):
    address_family = socket.AF_INET6


class FaultyServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving the scenarios above."""

    def __init__(self, host: str = "127.0.0.1", *, tls: tuple[str, str] | None = None) -> None:
        self._httpd = (_Server6 if ":" in host else _Server)((host, 0), _Handler)
        self._httpd.faulty = self
        self._scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self._scheme = "https"
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._in_flight = 0
        self.max_in_flight = 0
        self.requests: list[RecordedRequest] = []

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"{self._scheme}://{shown}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def count(self, key: str) -> int:
        """Increment and return the counter of ``key`` (used by the "n times" scenarios)."""
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def hits(self, path_prefix: str = "") -> int:
        """How many requests were received whose path starts with ``path_prefix``."""
        with self._lock:
            return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    def _enter(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def start(self) -> FaultyServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
