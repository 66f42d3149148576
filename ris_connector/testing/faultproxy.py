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
import threading
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

import requests

from ris_connector.testing.server import HTML_ERROR_PAGE, LocalServer, Reply, Request, delay, status

#: The faults the kit injects, with what each one sends.
FAULTS: dict[str, str] = {
    "http-429": "HTTP 429 Too Many Requests (Retry-After: 0) on every attempt",
    "http-500": "HTTP 500 Internal Server Error on every attempt",
    "timeout": "no answer within the client's read timeout",
    "html-200": "an HTML error page with status 200",
    "invalid-payload": "the recorded body cut in half (status 200, original Content-Type)",
}

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
        self._server: LocalServer | None = None
        self._session = requests.Session()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running proxy."""
        if self._server is None:
            raise RuntimeError("proxy not started")
        return self._server.base_url

    def start(self) -> FaultProxy:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        self._server = LocalServer(fallback=self.answer, name="ris-fault-proxy").start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.stop()
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

    def answer(self, request: Request) -> Reply:
        """The fault chosen for ``request``, or the upstream's answer (POST: each distinct body counts)."""
        data = request.body if request.method == "POST" else None
        fault = self.decide(request_key(request.method, request.target, data))
        if fault == "timeout":
            return delay(self.state.timeout_sleep, Reply.json({}))
        if fault == "http-429":
            return status(429, "Too Many Requests", Retry_After="0")
        if fault == "http-500":
            return status(500, "Internal Server Error")
        if fault == "html-200":
            return Reply.html(HTML_ERROR_PAGE)
        code, body, headers = self.forward(request.target, dict(request.headers), request.method, data)
        if fault == "invalid-payload":
            code, body = 200, body[: max(1, len(body) // 2)] + b"\x00<<truncated"
        return Reply(code, body, headers.pop("content-type", "application/octet-stream"), headers)

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
