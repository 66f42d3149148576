"""A real HTTP server on 127.0.0.1 serving iCalendar feeds that a test can change between syncs.

``with IcsServer() as server:`` then ``server.put("/public/ics/SiKalAbo.ics", text)`` and
``server.url("/public/ics/SiKalAbo.ics")``. ``{now}`` in a feed is replaced by the current UTC
time on every request, as ALLRIS stamps DTSTAMP freshly each time. Unknown paths answer 404.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    feeds: dict[str, tuple[bytes, str]]
    hits: dict[str, int]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        feed = self.server.feeds.get(path)
        if feed is None:
            body, ctype, status = b"not found", "text/plain", 404
        else:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ").encode()
            body, ctype, status = feed[0].replace(b"{now}", stamp), feed[1], 200
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class IcsServer:
    """Serves feeds from memory; ``put`` replaces one while the server runs."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.feeds = {}
        self._server.hits = {}
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def put(
        self,
        path: str,
        text: str | bytes,
        content_type: str = "text/calendar; charset=utf-8",
        *,
        line_end: str = "\r\n",
        encoding: str = "utf-8",
    ) -> str:
        """Serve ``text`` at ``path``; returns its URL.

        Text gets ``line_end`` (CRLF as RFC 5545 wants, or what a broken server sends) and is
        encoded in ``encoding``; bytes are served exactly as given.
        """
        if isinstance(text, str):
            text = (line_end.join(text.strip("\n").split("\n")) + line_end).encode(encoding)
        self._server.feeds[path] = (text, content_type)
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def hits(self, path: str) -> int:
        return self._server.hits.get(path, 0)

    def start(self) -> IcsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> IcsServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
