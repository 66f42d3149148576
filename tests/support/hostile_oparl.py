"""A minimal OParl server (a ``LocalServer``) whose paper list is whatever a test makes it, streamed.

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
import re
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from ris_connector.testing.server import LocalServer, Reply, Request

PAPER = "https://schema.oparl.org/1.1/Paper"
STAMP = "2024-05-01T10:00:00+02:00"
_PIECE = 1 << 20


def paper(pid: str, name: str = "Vorlage", **extra: Any) -> dict[str, Any]:
    """A small valid OParl Paper."""
    return {"id": pid, "type": PAPER, "name": name, "created": STAMP, "modified": STAMP, **extra}


class Papers:
    """A paper list: ``page(n, base)`` is the JSON of page ``n`` (from 1), whole or in pieces.
    The default is one page of :attr:`objects`."""

    def __init__(self, objects: list[Any] | None = None) -> None:
        self.objects = objects or []

    def body(self, n: int, base: str) -> bytes:
        """The whole page (for small pages)."""
        return json.dumps({"data": self.objects if n == 1 else [], "links": {}}).encode()

    def page(self, n: int, base: str) -> bytes | Iterator[bytes]:
        """Page ``n``: bytes, or pieces (sent chunked, made while they are sent)."""
        return self.body(n, base)


class NonObjects(Papers):
    """One page of about ``size`` bytes whose entries are ``entry`` (JSON text), not objects."""

    def __init__(self, size: int, entry: bytes = b"7") -> None:
        super().__init__()
        self.entry = entry
        self.count = size // (len(entry) + 1)

    def page(self, n: int, base: str) -> bytes | Iterator[bytes]:
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

        return pieces()


class BigPages(Papers):
    """``pages`` pages of about ``page_bytes`` each, ``per_page`` papers a page, whose names
    fill the page."""

    def __init__(self, pages: int, page_bytes: int, per_page: int = 10) -> None:
        super().__init__()
        self.pages, self.per_page = pages, per_page
        self.name_bytes = max(1, page_bytes // per_page - 200)

    def page(self, n: int, base: str) -> bytes | Iterator[bytes]:
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

        return pieces()


class Endless(Papers):
    """A ``next`` chain without end, ``per_page`` fresh papers a page."""

    def __init__(self, per_page: int = 10) -> None:
        super().__init__()
        self.per_page = per_page

    def body(self, n: int, base: str) -> bytes:
        data = [paper(f"{base}/oparl/paper/{n}-{i}", name=f"Vorlage {n}-{i}") for i in range(self.per_page)]
        return json.dumps({"data": data, "links": {"next": f"{base}/oparl/body/1/papers?page={n + 1}"}}).encode()


class HostileOParl:
    """Serves :class:`Papers` as the paper list of a one-Body OParl system (a ``LocalServer``)."""

    def __init__(self, papers: Papers, *, delay: float = 0.0, object_delay: float = 0.0) -> None:
        self.papers = papers
        self.delay = delay
        """Seconds each list page waits before it is sent."""
        self.object_delay = object_delay
        self._lock = threading.Lock()
        self.pages_served = 0
        self.server = LocalServer(
            {
                "/oparl/system": self._system,
                "/oparl/bodies": self._bodies,
                "/oparl/body/1/papers": self._page,
                re.compile(r"/oparl/object/.+"): self._object,
            },
            name="hostile-oparl",
        )

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def system_url(self) -> str:
        return self.base_url + "/oparl/system"

    def _system(self, request: Request) -> Reply:
        base = self.base_url
        return Reply.json(
            {
                "id": f"{base}/oparl/system",
                "type": "https://schema.oparl.org/1.1/System",
                "oparlVersion": "https://schema.oparl.org/1.1/",
                "body": f"{base}/oparl/bodies",
            }
        )

    def _bodies(self, request: Request) -> Reply:
        base = self.base_url
        body = {
            "id": f"{base}/oparl/body/1",
            "type": "https://schema.oparl.org/1.1/Body",
            "name": "Hostile",
            "paper": f"{base}/oparl/body/1/papers",
            "created": STAMP,
            "modified": STAMP,
        }
        return Reply.json({"data": [body], "links": {}})

    def _page(self, request: Request) -> Reply:
        with self._lock:
            self.pages_served += 1
        n = int(request.query.get("page", "1"))
        return Reply(body=self.papers.page(n, self.base_url), content_type="application/json", delay=self.delay)

    def _object(self, request: Request) -> Reply:
        data = json.dumps(paper(self.base_url + request.path, name="einzeln geholt")).encode()
        return Reply(body=data, content_type="application/json", delay=self.object_delay)

    def start(self) -> HostileOParl:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> HostileOParl:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
