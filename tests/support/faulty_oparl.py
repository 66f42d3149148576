"""The sample OParl server with faults injected on demand, for fault-injection tests of whole syncs.

The faults are the project's fault vocabulary (``ris_connector.testing``: ``status``,
``delay``, ``truncate``, ``redirect``, paced bodies) put in front of the sample server's answers.

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

from ris_connector.sample.server import OParlServer
from ris_connector.testing import Reply, Request, delay, redirect, status, truncate

HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Wartungsarbeiten</h1><p>Bitte versuchen Sie es spaeter.</p></body></html>"


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
    """Add a fault rule to a started sample server (its answers then pass the server's plan first)."""
    http = server._http
    assert http is not None, "start the server first"
    plan = getattr(server, "fault_plan", None)
    if plan is None:
        plan = server.fault_plan = FaultPlan()  # type: ignore[attr-defined]
        normal = http.fallback
        http.fallback = lambda request: _faulty(server, plan, request) or normal(request)  # type: ignore[operator]
    rule = Rule(match, fault, times, arg, target, edit=edit)
    plan.rules.append(rule)
    return rule


def clear(server: OParlServer) -> None:
    """Remove every fault: the server behaves again."""
    plan = getattr(server, "fault_plan", None)
    if plan is not None:
        plan.rules.clear()


def _faulty(server: OParlServer, plan: FaultPlan, request: Request) -> Reply | None:
    """The faulty answer to ``request``, or None when no rule takes it."""
    rule = plan.take(request.target)
    if rule is None:
        return None
    raw = request.target

    def body() -> bytes:
        return server.handle(raw).body

    def json_answer(change: Callable[[Any], None]) -> Reply:
        data = json.loads(body())
        change(data)
        return Reply(200, json.dumps(data).encode(), "application/json")

    kind = rule.fault
    if kind == "status":
        return status(int(rule.arg), f"fault: HTTP {int(rule.arg)}")
    if kind == "retry_after":
        return status(429, "slow down", Retry_After=str(int(rule.arg)))
    if kind == "hang":
        return delay(rule.arg, server._reply(request))
    if kind == "reset":
        return truncate(Reply(200, body(), "application/json"))
    if kind == "truncate":
        whole = body()
        return Reply(200, whole[: len(whole) // 2], "application/json")
    if kind == "html200":
        return Reply.html(HTML_PAGE)
    if kind == "redirect_loop":
        parts = urlsplit(raw)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "hop"]
        hop = "b" if "hop=a" in parts.query else "a"
        return redirect(urlunsplit(("", "", parts.path, urlencode([*query, ("hop", hop)]), "")))
    if kind == "redirect_to":
        return redirect(rule.target)
    if kind in ("next_to_first", "endless_next"):
        return json_answer(lambda data: _rewrite_next(data, raw, kind == "next_to_first"))
    if kind == "next_to":
        return json_answer(lambda data: data.setdefault("links", {}).__setitem__("next", rule.target))
    if kind == "empty_list":
        return json_answer(_empty)
    if kind == "edit":
        assert rule.edit is not None, "the edit fault needs inject(..., edit=function)"
        return json_answer(rule.edit)
    if kind == "pad":
        return Reply(200, body() + b" " * int(rule.arg), "application/json")
    if kind == "trickle":
        return Reply(200, body(), "application/json", pace=(max(1, int(rule.arg)), 0.02))
    raise ValueError(f"unknown fault {kind!r}")


def _rewrite_next(data: dict[str, Any], raw: str, to_first: bool) -> None:
    page = int(dict(parse_qsl(urlsplit(raw).query)).get("page", "1"))
    links = data.setdefault("links", {})
    first = re.sub(r"[?&]page=\d+", "", links.get("first", ""))
    sep = "&" if "?" in first else "?"
    links["next"] = first if to_first else f"{first}{sep}page={page + 1}"


def _empty(data: dict[str, Any]) -> None:
    data["data"] = []
    data["links"] = {k: v for k, v in data.get("links", {}).items() if k in ("first", "self")}
    data["pagination"] = {"totalElements": 0, "elementsPerPage": 100, "currentPage": 1, "totalPages": 1}


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
