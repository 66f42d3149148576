"""The sample OParl server with faults injected on demand, for fault-injection tests of whole syncs.

``inject(server, match, fault, times=None, arg=0)`` makes requests whose path+query contains
``match`` misbehave (the first ``times`` of them, or all). Faults:

``status`` (HTTP ``arg`` with a short body), ``retry_after`` (429 with ``Retry-After: arg``),
``hang`` (sleep ``arg`` s before answering: read timeout), ``reset`` (half the body, then the
connection is closed), ``truncate`` (JSON cut in half, Content-Length matching the cut body),
``html200`` (an HTML error page with 200), ``redirect_loop`` (two URLs redirecting to each
other), ``next_to_first`` (the page's ``links.next`` points back to the first page),
``endless_next`` (``links.next`` always points to one page further), ``next_to`` and
``redirect_to`` (``links.next`` resp. a 302 pointing to ``target``), ``pad`` (the body padded
with ``arg`` bytes of whitespace), ``trickle`` (the body sent ``arg`` bytes at a time, 20 ms apart),
``empty_list`` (``200 {"data": []}`` with no further page), ``edit`` (the JSON answer passed
through ``edit``, a function given to ``inject`` that changes it in place).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ris_connector.sample.server import OParlServer, _Handler


@dataclass
class Rule:
    match: str
    fault: str
    times: int | None
    arg: float
    target: str = ""
    hits: int = 0
    edit: Callable[[Any], None] | None = None


@dataclass
class FaultPlan:
    rules: list[Rule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.match in path and (rule.times is None or rule.hits < rule.times):
                    rule.hits += 1
                    return rule
        return None


def inject(
    server: OParlServer,
    match: str,
    fault: str,
    times: int | None = None,
    arg: float = 0,
    target: str = "",
    edit: Callable[[Any], None] | None = None,
) -> Rule:
    """Add a fault rule to a started sample server (switching it to the faulty handler)."""
    httpd = server._httpd
    assert httpd is not None, "start the server first"
    httpd.RequestHandlerClass = FaultyHandler
    plan = getattr(httpd, "fault_plan", None)
    if plan is None:
        plan = httpd.fault_plan = FaultPlan()  # type: ignore[attr-defined]
    rule = Rule(match, fault, times, arg, target, edit=edit)
    plan.rules.append(rule)
    return rule


def clear(server: OParlServer) -> None:
    """Remove every fault: the server behaves again."""
    if server._httpd is not None:
        server._httpd.fault_plan = FaultPlan()  # type: ignore[attr-defined]


class FaultyHandler(_Handler):
    """The sample server's handler, with the faults of the server's plan."""

    def do_GET(self) -> None:
        plan: FaultPlan | None = getattr(self.server, "fault_plan", None)
        rule = plan.take(self.path) if plan else None
        if rule is None:
            super().do_GET()
            return
        getattr(self, "_fault_" + rule.fault)(rule)

    def _raw(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.server.owner.handle(self.path).body

    def _fault_status(self, rule: Rule) -> None:
        self._raw(int(rule.arg), f"fault: HTTP {int(rule.arg)}".encode(), "text/plain")

    def _fault_retry_after(self, rule: Rule) -> None:
        self._raw(429, b"slow down", "text/plain", {"Retry-After": str(int(rule.arg))})

    def _fault_hang(self, rule: Rule) -> None:
        time.sleep(rule.arg)
        with suppress(OSError):
            super().do_GET()

    def _fault_reset(self, rule: Rule) -> None:
        body = self._body()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _fault_truncate(self, rule: Rule) -> None:
        body = self._body()
        self._raw(200, body[: len(body) // 2], "application/json")

    def _fault_html200(self, rule: Rule) -> None:
        page = (
            b"<!DOCTYPE html><html><body><h1>Wartungsarbeiten</h1><p>Bitte versuchen Sie es spaeter.</p></body></html>"
        )
        self._raw(200, page, "text/html; charset=utf-8")

    def _fault_redirect_loop(self, rule: Rule) -> None:
        parts = urlsplit(self.path)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "hop"]
        hop = "b" if "hop=a" in parts.query else "a"
        target = urlunsplit(("", "", parts.path, urlencode([*query, ("hop", hop)]), ""))
        self._raw(302, b"", "text/plain", {"Location": target})

    def _rewrite_next(self, make: object) -> None:
        data = json.loads(self._body())
        page = int(dict(parse_qsl(urlsplit(self.path).query)).get("page", "1"))
        links = data.setdefault("links", {})
        first = re.sub(r"[?&]page=\d+", "", links.get("first", ""))
        if make == "first":
            links["next"] = first
        else:
            sep = "&" if "?" in first else "?"
            links["next"] = f"{first}{sep}page={page + 1}"
        self._raw(200, json.dumps(data).encode(), "application/json")

    def _fault_redirect_to(self, rule: Rule) -> None:
        self._raw(302, b"", "text/plain", {"Location": rule.target})

    def _fault_next_to(self, rule: Rule) -> None:
        data = json.loads(self._body())
        data.setdefault("links", {})["next"] = rule.target
        self._raw(200, json.dumps(data).encode(), "application/json")

    def _fault_next_to_first(self, rule: Rule) -> None:
        self._rewrite_next("first")

    def _fault_endless_next(self, rule: Rule) -> None:
        self._rewrite_next("further")

    def _fault_empty_list(self, rule: Rule) -> None:
        data = json.loads(self._body())
        data["data"] = []
        data["links"] = {k: v for k, v in data.get("links", {}).items() if k in ("first", "self")}
        data["pagination"] = {"totalElements": 0, "elementsPerPage": 100, "currentPage": 1, "totalPages": 1}
        self._raw(200, json.dumps(data).encode(), "application/json")

    def _fault_edit(self, rule: Rule) -> None:
        data = json.loads(self._body())
        assert rule.edit is not None, "the edit fault needs inject(..., edit=function)"
        rule.edit(data)
        self._raw(200, json.dumps(data).encode(), "application/json")

    def _fault_pad(self, rule: Rule) -> None:
        body = self._body()
        self._raw(200, body + b" " * int(rule.arg), "application/json")

    def _fault_trickle(self, rule: Rule) -> None:
        body = self._body()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = max(1, int(rule.arg))
        try:
            for i in range(0, len(body), step):
                self.wfile.write(body[i : i + step])
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:
            self.close_connection = True


@contextmanager
def unconnectable() -> Iterator[str]:
    """A ``http://127.0.0.1:PORT`` whose listen queue is full: connecting times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        with suppress(BlockingIOError):
            c.connect(("127.0.0.1", port))
        fillers.append(c)
    time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for c in fillers:
            c.close()
        listener.close()


@contextmanager
def refused() -> Iterator[str]:
    """A ``http://127.0.0.1:PORT`` where nothing listens: the connection is refused."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    yield f"http://127.0.0.1:{port}"
