"""A minimal OParl server on 127.0.0.1 whose paper list is whatever a test makes it, streamed.

For the per-run bounds of issue 14: huge pages, pages of non-objects, endless ``next`` chains
with fresh ids, slow pages, ids on foreign hosts. One System, one Body, one list (``paper``);
the list's pages are built by a :class:`Papers` scenario and streamed in pieces, so a 95 MB
page costs the server no 95 MB. ``/oparl/object/{n}`` answers a paper of that id (after
``object_delay`` seconds): the target of references that no list holds.

    with HostileOParl(Endless(per_page=10)) as server:
        server.system_url   # http://127.0.0.1:PORT/oparl/system
        server.pages_served # how many list pages were asked for
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PAPER = "https://schema.oparl.org/1.1/Paper"
STAMP = "2024-05-01T10:00:00+02:00"
_PIECE = 1 << 20


def paper(pid: str, name: str = "Vorlage", **extra: Any) -> dict[str, Any]:
    """A small valid OParl Paper."""
    return {"id": pid, "type": PAPER, "name": name, "created": STAMP, "modified": STAMP, **extra}


class Papers:
    """A paper list: ``page(n, base)`` yields the JSON of page ``n`` (from 1) in pieces and says
    its length (None: sent chunked). The default is one page of :attr:`objects`."""

    def __init__(self, objects: list[Any] | None = None) -> None:
        self.objects = objects or []

    def body(self, n: int, base: str) -> bytes:
        """The whole page (for small pages)."""
        return json.dumps({"data": self.objects if n == 1 else [], "links": {}}).encode()

    def page(self, n: int, base: str) -> tuple[Iterator[bytes], int | None]:
        data = self.body(n, base)
        return iter([data]), len(data)


class NonObjects(Papers):
    """One page of about ``size`` bytes whose entries are ``entry`` (JSON text), not objects."""

    def __init__(self, size: int, entry: bytes = b"7") -> None:
        super().__init__()
        self.entry = entry
        self.count = size // (len(entry) + 1)

    def page(self, n: int, base: str) -> tuple[Iterator[bytes], int | None]:
        head, tail = b'{"data":[', self.entry + b'],"links":{}}'
        item = self.entry + b","
        per = max(1, _PIECE // len(item))

        def pieces() -> Iterator[bytes]:
            yield head
            left = self.count - 1
            while left > 0:
                k = min(per, left)
                yield item * k
                left -= k
            yield tail

        return pieces(), len(head) + len(item) * (self.count - 1) + len(tail)


class BigPages(Papers):
    """``pages`` pages of about ``page_bytes`` each, ``per_page`` papers a page, whose names
    fill the page."""

    def __init__(self, pages: int, page_bytes: int, per_page: int = 10) -> None:
        super().__init__()
        self.pages, self.per_page = pages, per_page
        self.name_bytes = max(1, page_bytes // per_page - 200)

    def page(self, n: int, base: str) -> tuple[Iterator[bytes], int | None]:
        links = {"next": f"{base}/oparl/body/1/papers?page={n + 1}"} if n < self.pages else {}
        heads = []
        for i in range(self.per_page):
            obj = paper(f"{base}/oparl/paper/{n}-{i}")
            del obj["name"]
            heads.append(json.dumps(obj).encode()[:-1] + b', "name": "')  # the name follows
        tail = b'],"links":' + json.dumps(links).encode() + b"}"
        fill = self.name_bytes

        def pieces() -> Iterator[bytes]:
            yield b'{"data":['
            for i, head in enumerate(heads):
                yield (b"," if i else b"") + head
                left = fill
                while left > 0:
                    k = min(_PIECE, left)
                    yield b"x" * k
                    left -= k
                yield b'"}'
            yield tail

        length = 9 + sum(len(h) + fill + 2 for h in heads) + (len(heads) - 1) + len(tail)
        return pieces(), length


class Endless(Papers):
    """A ``next`` chain without end, ``per_page`` fresh papers a page."""

    def __init__(self, per_page: int = 10) -> None:
        super().__init__()
        self.per_page = per_page

    def body(self, n: int, base: str) -> bytes:
        data = [paper(f"{base}/oparl/paper/{n}-{i}", name=f"Vorlage {n}-{i}") for i in range(self.per_page)]
        return json.dumps({"data": data, "links": {"next": f"{base}/oparl/body/1/papers?page={n + 1}"}}).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileOParl

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (limits) are expected."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        base = owner.base_url
        try:
            if parts.path == "/oparl/system":
                self._json(
                    {
                        "id": f"{base}/oparl/system",
                        "type": "https://schema.oparl.org/1.1/System",
                        "oparlVersion": "https://schema.oparl.org/1.1/",
                        "body": f"{base}/oparl/bodies",
                    }
                )
            elif parts.path == "/oparl/bodies":
                body = {
                    "id": f"{base}/oparl/body/1",
                    "type": "https://schema.oparl.org/1.1/Body",
                    "name": "Hostile",
                    "paper": f"{base}/oparl/body/1/papers",
                    "created": STAMP,
                    "modified": STAMP,
                }
                self._json({"data": [body], "links": {}})
            elif parts.path == "/oparl/body/1/papers":
                n = int(dict(parse_qsl(parts.query)).get("page", "1"))
                owner.count_page()
                if owner.delay:
                    time.sleep(owner.delay)
                pieces, length = owner.papers.page(n, base)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if length is None:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(length))
                self.end_headers()
                for piece in pieces:
                    if length is None:
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    else:
                        self.wfile.write(piece)
                if length is None:
                    self.wfile.write(b"0\r\n\r\n")
            elif parts.path.startswith("/oparl/object/"):
                time.sleep(owner.object_delay)
                self._json(paper(base + parts.path, name="einzeln geholt"))
            else:
                self._json({"error": "not found"}, 404)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _json(self, data: Any, status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class HostileOParl:
    """Serves :class:`Papers` as the paper list of a one-Body OParl system."""

    def __init__(self, papers: Papers, *, delay: float = 0.0, object_delay: float = 0.0) -> None:
        self.papers = papers
        self.delay = delay
        """Seconds each list page waits before it is sent."""
        self.object_delay = object_delay
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._lock = threading.Lock()
        self.pages_served = 0
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def system_url(self) -> str:
        return self.base_url + "/oparl/system"

    def count_page(self) -> None:
        with self._lock:
            self.pages_served += 1

    def start(self) -> HostileOParl:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HostileOParl:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
