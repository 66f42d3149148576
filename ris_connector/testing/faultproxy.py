"""A fault-injecting HTTP proxy on 127.0.0.1 for the adapter test kit.

The adapter under test talks to the proxy; the proxy forwards each GET (and POST, for SOAP)
to the upstream base URL (a live server, or a recorded cassette replayed by vcrpy in the same
process) and, when told to, answers the n-th distinct request with a fault instead: ``429``, ``500``, a read
timeout, an HTML error page with status 200, or a truncated (invalid) payload. Once a request
is chosen it fails on every retry, so the client's retries cannot hide the fault.

Links in forwarded bodies that point at the upstream base are rewritten to the proxy, so
sources that follow links (OParl) keep talking to the proxy.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests

#: The faults the kit injects, with what each one sends.
FAULTS: dict[str, str] = {
    "http-429": "HTTP 429 Too Many Requests (Retry-After: 0) on every attempt",
    "http-500": "HTTP 500 Internal Server Error on every attempt",
    "timeout": "no answer within the client's read timeout",
    "html-200": "an HTML error page with status 200",
    "invalid-payload": "the recorded body cut in half (status 200, original Content-Type)",
}

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>Fehler</title></head><body><h1>Es ist ein Fehler "
    b"aufgetreten</h1><p>Die Sitzung ist abgelaufen.</p></body></html>"
)
log = logging.getLogger(__name__)
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "server", "date"}


@dataclass
class ProxyState:
    """What the proxy is told to do and what it saw (guarded by ``lock``)."""

    fault: str | None = None
    fault_at: int = 1
    timeout_sleep: float = 2.0
    seen: list[str] = field(default_factory=list)
    faulted: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on purpose (timeouts) are expected: only a debug log line."""
        log.debug("fault proxy: error while answering %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def do_GET(self) -> None:
        self._answer("GET", None)

    def do_POST(self) -> None:
        """POST (SOAP calls): forwarded with its body; each distinct body counts as one request."""
        self._answer("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, method: str, data: bytes | None) -> None:
        proxy = self.server.proxy
        fault = proxy.decide(request_key(method, self.path, data))
        try:
            if fault == "timeout":
                time.sleep(proxy.state.timeout_sleep)
                self._send(200, b"{}", "application/json")
            elif fault == "http-429":
                self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "0"})
            elif fault == "http-500":
                self._send(500, b"Internal Server Error", "text/plain")
            elif fault == "html-200":
                self._send(200, HTML_ERROR_PAGE, "text/html; charset=utf-8")
            else:
                status, body, headers = proxy.forward(self.path, dict(self.headers.items()), method, data)
                if fault == "invalid-payload":
                    status, body = 200, body[: max(1, len(body) // 2)] + b"\x00<<truncated"
                self._send(status, body, headers.pop("content-type", "application/octet-stream"), headers)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FaultProxy:
    """``with FaultProxy("http://upstream:8080") as proxy: proxy.url`` is the base to use instead."""

    def __init__(
        self,
        upstream: str,
        recorded: dict[str, tuple[int, dict[str, str], bytes]] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        """``recorded`` (path with query -> status, headers, body) answers instead of ``upstream``."""
        self.recorded = recorded
        self.secrets = secrets
        parts = urlsplit(upstream)
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self.state = ProxyState()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running proxy."""
        if self._server is None:
            raise RuntimeError("proxy not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="ris-fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._session.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def arm(self, fault: str | None, at: int = 1) -> None:
        """Inject ``fault`` (a key of :data:`FAULTS`) at the ``at``-th distinct request; None: no faults."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        with self.state.lock:
            self.state.fault, self.state.fault_at = fault, at
            self.state.seen, self.state.faulted = [], None

    def decide(self, key: str) -> str | None:
        """The fault to answer request ``key`` (see :func:`request_key`) with, if any; counts distinct requests."""
        with self.state.lock:
            st = self.state
            if key not in st.seen:
                st.seen.append(key)
                if st.fault and st.faulted is None and len(st.seen) == st.fault_at:
                    st.faulted = key
            return st.fault if st.faulted == key else None

    def forward(
        self, path: str, headers: dict[str, str], method: str = "GET", data: bytes | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        """``method`` ``path`` upstream; status, body with links rewritten, and the end-to-end headers."""
        if self.recorded is not None:
            key = request_key(method, mask_secrets(path, self.secrets), data)
            if key not in self.recorded:
                shown = key if method != "GET" else f"GET {key}"
                return 599, f"not in the cassette: {shown}".encode(), {"content-type": "text/plain"}
            status, recorded_headers, body = self.recorded[key]
            return (
                status,
                self._rewrite(body),
                {k.lower(): v for k, v in recorded_headers.items() if k.lower() not in _HOP_HEADERS},
            )
        forwarded = {"accept", "user-agent", "authorization", "content-type", "soapaction"}
        keep = {k: v for k, v in headers.items() if k.lower() in forwarded}
        resp = self._session.request(
            method, self.upstream + path, data=data, headers=keep, allow_redirects=False, timeout=30
        )
        out = {k.lower(): v for k, v in resp.headers.items() if k.lower() not in _HOP_HEADERS}
        if "location" in out:
            out["location"] = out["location"].replace(self.upstream, self.url)
        return resp.status_code, self._rewrite(resp.content), out

    def _rewrite(self, body: bytes) -> bytes:
        for old, new in ((self.upstream, self.url), (self.upstream.replace("/", "\\/"), self.url.replace("/", "\\/"))):
            body = body.replace(old.encode(), new.encode())
        return body


def request_key(method: str, path: str, data: bytes | None = None) -> str:
    """What makes a request distinct: the path for GET; method, path and a digest of the body otherwise."""
    if method == "GET":
        return path
    return f"{method} {path} #{hashlib.sha256(data or b'').hexdigest()[:16]}"


def mask_secrets(path: str, secrets: tuple[str, ...]) -> str:
    """The lookup key of ``path``: secret query values as ``SECRET`` (as recorded), parameters sorted."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    pairs = [p.partition("=") for p in query.split("&")]
    return base + "?" + "&".join(sorted(f"{k}=SECRET" if k in secrets and eq else f"{k}{eq}{v}" for k, eq, v in pairs))
