"""``LocalServer``: a real HTTP server on 127.0.0.1 for tests, answering from routes.

One server for every test that needs the other end of a connection: a JSON API, an export file,
a SOAP service, a webhook receiver, a fault-injecting proxy. A *route* maps a path (without the
query; or a compiled regular expression, matched whole) to what the server answers:

* a :class:`Reply` (status, body, headers, and the faults below), or
* a function of the :class:`Request` returning a reply (``serve_json`` also takes JSON data).

Faults are fields of the reply, so one vocabulary covers every test: ``delay`` (seconds before
the status line: read timeouts, concurrency), ``drop`` (read the request, close without an
answer), ``truncate`` (promise the whole body, send only part, close), ``pace`` (a body trickled
in small writes), a body given as an iterable (chunked transfer), and ``raw`` (the answer's
bytes exactly as given, for the fuzz tests' servers that lie in their status line or headers). The helpers
:func:`status`, :func:`delay`, :func:`drop`, :func:`truncate`, :func:`redirect` and
:func:`sequence` (a different answer per request: "fail twice, then succeed") build them.

Every request is kept in ``requests`` as it arrives; every answer in ``answered`` with its
status and the body bytes actually sent (the client may hang up before). Header values are
written as latin-1, so a test can send the raw bytes a broken server sends (``"\\xfc"``).
``host="::1"`` serves on IPv6, ``tls=(certfile, keyfile)`` speaks HTTPS.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, overload
from urllib.parse import parse_qs, urlsplit

from typing_extensions import Self

log = logging.getLogger(__name__)

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>Fehler</title></head><body><h1>Es ist ein Fehler "
    b"aufgetreten</h1><p>Die Sitzung ist abgelaufen.</p></body></html>"
)
_NO_BODY = frozenset({204, 304})


@dataclass(frozen=True)
class Request:
    """One request as the server read it."""

    method: str
    target: str
    """The request target as sent: path and query, not decoded."""
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(default=b"", repr=False)
    base_url: str = ""
    """``http://127.0.0.1:PORT`` of the server that read it (for links in answers)."""
    match: re.Match[str] | None = field(default=None, compare=False, repr=False)
    """The match of the route's pattern, when the route is a regular expression."""

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.partition("?")[0]

    @property
    def query_string(self) -> str:
        """The raw query (after ``?``), not decoded."""
        return self.target.partition("?")[2]

    @property
    def query(self) -> dict[str, str]:
        """The query parameters, each with its first value."""
        return {k: v[0] for k, v in self.args.items()}

    @property
    def args(self) -> dict[str, list[str]]:
        """The query parameters with every value."""
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @overload
    def header(self, name: str) -> str | None: ...
    @overload
    def header(self, name: str, default: str) -> str: ...
    @overload
    def header(self, name: str, default: str | None) -> str | None: ...
    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, its name compared without case (``default`` when it was not sent)."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), default)

    def json(self) -> Any:
        """The body as JSON data."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What the server answers, and how (the fault fields)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    """Bytes (sent with Content-Length) or an iterable of chunks (sent chunked, produced lazily)."""
    content_type: str | None = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before the status line."""
    drop: bool = False
    """Close the connection without an answer."""
    truncate: int | None = None
    """Announce the whole body, send only this many bytes, then close."""
    pace: tuple[int, float] | None = None
    """(bytes per write, seconds between writes): a body trickled slowly."""
    raw: bytes | None = None
    """The answer byte for byte (status line, headers, body as a broken server writes them:
    any status line, a Content-Length that lies, raw bytes in headers), then the connection closes."""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """JSON ``data`` as the body (UTF-8, non-ASCII as is)."""
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return cls(status, body, "application/json; charset=utf-8", dict(headers or {}))

    @classmethod
    def html(cls, page: bytes = HTML_ERROR_PAGE, status: int = 200) -> Reply:
        """An HTML page, by default the error page a broken server sends with status 200."""
        return cls(status, page, "text/html; charset=utf-8")


Handler = Callable[[Request], Any]
Route = Reply | Handler
Routes = Mapping["str | re.Pattern[str]", Route]


# -- the fault vocabulary ---------------------------------------------------------------------
def status(code: int, body: bytes | str = b"", **headers: str) -> Reply:
    """An answer with status ``code``; keyword arguments are headers (``Retry_After="1"``)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return Reply(code, raw or f"status {code}".encode(), headers={k.replace("_", "-"): v for k, v in headers.items()})


def delay(seconds: float, reply: Reply | None = None) -> Reply:
    """``reply`` (default: an empty JSON object) after ``seconds``: a slow or hanging server."""
    return replace(reply or Reply.json({}), delay=seconds)


def drop() -> Reply:
    """Read the request, then close the connection without answering."""
    return Reply(drop=True)


def truncate(reply: Reply, keep: int | None = None) -> Reply:
    """``reply`` cut off after ``keep`` bytes (default: half) while Content-Length promises all of it."""
    body = reply.body if isinstance(reply.body, bytes) else b"".join(reply.body)
    return replace(reply, body=body, truncate=len(body) // 2 if keep is None else keep)


def redirect(location: str, code: int = 302) -> Reply:
    """A redirect to ``location`` (written as given: relative, absolute, even raw latin-1)."""
    return Reply(code, b"", headers={"Location": location})


def sequence(*routes: Route | Any) -> Handler:
    """A route answering its n-th request with the n-th of ``routes`` (the last one repeats)."""
    lock = threading.Lock()
    count = [0]

    def answer(request: Request) -> Any:
        with lock:
            count[0] += 1
            chosen = routes[min(count[0], len(routes)) - 1]
        return chosen(request) if callable(chosen) else chosen

    return answer


# -- the server -------------------------------------------------------------------------------
@dataclass
class Served:
    """One answered request: its status and the body bytes the server managed to send so far
    (kept up to date while a long body is written, so a test sees how far it got)."""

    request: Request
    status: int
    sent: int = 0


class LocalServer:
    """A threaded HTTP server on a free port of 127.0.0.1 answering from ``routes``.

    ``routes`` may be changed while the server runs (``server.routes["/x"] = reply``).
    ``convert`` turns what a handler returns into a :class:`Reply` (``serve_json`` passes one
    that encodes data as JSON); ``fallback`` answers paths no route names (default 404).
    """

    def __init__(
        self,
        routes: Routes | None = None,
        *,
        fallback: Route | None = None,
        convert: Callable[[Any], Reply] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: tuple[str, str] | None = None,
        name: str = "local-server",
    ) -> None:
        self.routes: dict[str | re.Pattern[str], Route] = dict(routes or {})
        self.fallback: Route = fallback if fallback is not None else Reply(404, b"not found")
        self.convert = convert or _as_reply
        self.host = host
        self.port = port
        self.tls = tls
        self.name = name
        self.requests: list[Request] = []
        self.answered: list[Served] = []
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self._in_flight = 0
        self._counters: dict[str, int] = {}
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        httpd = (_HttpServer6 if ":" in self.host else _HttpServer)((self.host, self.port), _Handler)
        httpd.owner = self
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses and what was seen -------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https``, ``[::1]`` as configured)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def url(self, path: str = "") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def hits(self, prefix: str = "") -> int:
        """How many requests arrived whose target starts with ``prefix``."""
        with self.lock:
            return sum(1 for r in self.requests if r.target.startswith(prefix))

    def count(self, key: str) -> int:
        """Increment and return the counter ``key`` (for handlers that answer "n times")."""
        with self.lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def sent(self, path: str) -> int:
        """Body bytes sent in answers to ``path`` (without query)."""
        with self.lock:
            return sum(s.sent for s in self.answered if s.request.path == path)

    def clear(self) -> None:
        """Forget the requests and answers seen so far."""
        with self.lock:
            self.requests.clear()
            self.answered.clear()

    # -- answering -------------------------------------------------------------------------------
    def route_for(self, request: Request) -> tuple[Route, Request]:
        """The route answering ``request`` (with the pattern's match filled in)."""
        path = request.path
        found = self.routes.get(path)
        if found is not None:
            return found, request
        for key, route in list(self.routes.items()):
            if isinstance(key, re.Pattern) and (m := key.fullmatch(path)):
                return route, replace(request, match=m)
        return self.fallback, request

    def answer(self, request: Request) -> Reply:
        """What ``request`` gets; an exception in a handler becomes a 500 naming it."""
        route, request = self.route_for(request)
        try:
            result = route(request) if callable(route) else route
            return self.convert(result)
        except Exception as exc:  # a server must answer; report the bug as 500
            log.warning("%s: handler for %s failed", self.name, request.target, exc_info=True)
            return Reply(500, f"{type(exc).__name__}: {exc}".encode())

    def _enter(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _answering(self, request: Request, status: int) -> Served:
        served = Served(request, status)
        with self.lock:
            self.answered.append(served)
        return served

    def _leave(self) -> None:
        with self.lock:
            self._in_flight -= 1


def _as_reply(value: Any) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, bytes):
        return Reply(200, value, "application/octet-stream")
    if isinstance(value, str):
        return Reply(200, value.encode("utf-8"))
    raise TypeError(f"a route answered {type(value).__name__}, not a Reply")


def _as_json(value: Any) -> Reply:
    return value if isinstance(value, Reply) else Reply.json(value)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, size limits, killed syncs) are normal here: a debug line."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError)):
            log.debug("%s: client %s went away: %r", self.owner.name, client_address, exc)
            return
        log.warning("%s: error while answering %s", self.owner.name, client_address, exc_info=True)


class _HttpServer6(_HttpServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # status line, headers and body are separate writes
    timeout = 60
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, dict(self.headers.items()), body, owner.base_url)
        owner._enter(request)
        try:
            self._send(owner.answer(request), request)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            owner._leave()

    def _send(self, reply: Reply, request: Request) -> None:
        """Write ``reply``, counting the body bytes written in its :class:`Served` entry."""
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self._hang_up()
            return
        served = self.server.owner._answering(request, reply.status)
        if reply.raw is not None:
            self._write([(reply.raw, len(reply.raw))], served)
            self.wfile.flush()
            self._hang_up()
            return
        self.send_response(reply.status)
        if reply.content_type is not None and reply.status not in _NO_BODY:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if not isinstance(reply.body, bytes):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._write(((f"{len(c):x}\r\n".encode() + c + b"\r\n", len(c)) for c in reply.body if c), served)
            self._write([(b"0\r\n\r\n", 0)])
            return
        body = b"" if reply.status in _NO_BODY or self.command == "HEAD" else reply.body
        if reply.status != 304:
            self.send_header("Content-Length", str(len(reply.body if self.command == "HEAD" else body)))
        self.end_headers()
        if reply.truncate is not None:
            self._write([(body[: reply.truncate], min(reply.truncate, len(body)))], served)
            self.wfile.flush()
            self._hang_up()
        elif reply.pace is not None:
            step, pause = reply.pace
            self._write(
                ((body[i : i + step], len(body[i : i + step])) for i in range(0, len(body), step)), served, pause
            )
        else:
            self._write([(body, len(body))], served)

    def _write(self, parts: Iterable[tuple[bytes, int]], served: Served | None = None, pause: float = 0.0) -> None:
        """Write each (bytes, body bytes in them); stop quietly when the client hung up."""
        try:
            for data, counted in parts:
                self.wfile.write(data)
                if pause:
                    self.wfile.flush()
                    time.sleep(pause)
                if served is not None:
                    served.sent += counted
        except OSError:
            self.close_connection = True

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


# -- ready-made servers -----------------------------------------------------------------------
def serve_json(routes: Mapping[str | re.Pattern[str], Any], **kwargs: Any) -> LocalServer:
    """A server answering JSON: a route is data, a :class:`Reply`, or a function of the request
    returning either. ``with serve_json({"/items": [...]}) as server: server.url("/items")``."""
    wrapped: dict[str | re.Pattern[str], Route] = {
        k: v if isinstance(v, Reply) or callable(v) else Reply.json(v) for k, v in routes.items()
    }
    kwargs.setdefault("fallback", Reply.json({"error": "not found"}, 404))
    return LocalServer(wrapped, convert=_as_json, **kwargs)


def serve_bytes(
    routes: Mapping[str | re.Pattern[str], bytes | Reply | Handler],
    content_type: str = "application/octet-stream",
    **kwargs: Any,
) -> LocalServer:
    """A server answering bytes (an export, a feed) with ``content_type``, or replies."""
    wrapped: dict[str | re.Pattern[str], Route] = {
        k: Reply(200, v, content_type) if isinstance(v, bytes) else v for k, v in routes.items()
    }
    return LocalServer(wrapped, **kwargs)


_TYPES = {
    ".json": "application/json",
    ".xml": "text/xml",
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
}


def serve_files(directory: str | Path, **kwargs: Any) -> LocalServer:
    """A server answering the files under ``directory`` at their relative paths (404 otherwise)."""
    root = Path(directory).resolve()

    def answer(request: Request) -> Reply:
        path = (root / request.path.lstrip("/")).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return Reply(404, b"not found")
        return Reply(200, path.read_bytes(), _TYPES.get(path.suffix.lower(), "application/octet-stream"))

    return LocalServer(fallback=answer, **kwargs)


def chunks_of(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """``data`` as chunks of ``size`` bytes (a chunked :class:`Reply` body)."""
    for i in range(0, len(data), size):
        yield data[i : i + size]
