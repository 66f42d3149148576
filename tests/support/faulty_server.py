"""A real HTTP server on 127.0.0.1 that misbehaves on request, for HTTP and fault-injection tests.

A :class:`~ris_connector.testing.LocalServer` whose routes are the scenarios below, each built
from the shared fault vocabulary (``status``, ``delay``, ``truncate``, ``redirect``, paced and
chunked bodies, raw latin-1 header bytes).

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

Every request is recorded in ``server.requests`` (``target`` with the query, ``headers``);
``server.hits(path)`` counts them and ``server.max_in_flight`` is the highest number of
concurrent requests seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from ris_connector.testing import LocalServer, Reply, Request, delay, redirect, status, truncate

HTML_PAGE = b"<html><body><h1>Fehler</h1><p>Die Sitzung ist abgelaufen.</p></body></html>"


def _ok(**data: object) -> Reply:
    return Reply.json({"ok": True, **data})


def _counted(server: LocalServer, request: Request) -> int:
    return server.count(request.path)


Scenario = Callable[[Request, re.Match[str]], Reply]


def _routes(server: LocalServer) -> dict[str, Scenario]:
    def echo(r: Request, m: re.Match[str]) -> Reply:
        return Reply.json(
            {
                "path": r.path,
                "query": r.query_string,
                "user_agent": r.header("User-Agent"),
                "authorization": r.header("Authorization") is not None,
            }
        )

    def fail(r: Request, m: re.Match[str]) -> Reply:
        attempt = _counted(server, r)
        return status(int(m[1]), f"failure {attempt}") if attempt <= int(m[2]) else _ok(attempt=attempt)

    def retry_after(r: Request, m: re.Match[str], code: int = 429) -> Reply:
        attempt = _counted(server, r)
        return status(code, "slow down", Retry_After=m[1]) if attempt == 1 else _ok(attempt=attempt)

    def reset(r: Request, m: re.Match[str]) -> Reply:
        if m[1] is not None and _counted(server, r) > int(m[1]):
            return _ok()
        return truncate(Reply(200, b"{" + b" " * 999, "application/json"), 100)  # promises 1000 bytes

    def trickle(r: Request, m: re.Match[str]) -> Reply:
        return Reply(200, b"x" * int(m[3]), "application/octet-stream", pace=(int(m[1]), float(m[2])))

    def chunked(r: Request, m: re.Match[str]) -> Reply:
        size = int(m[1])
        return Reply(200, (b"x" * min(16384, size - i) for i in range(0, size, 16384)), "application/octet-stream")

    def redirect_loop(r: Request, m: re.Match[str]) -> Reply:
        return redirect(f"/redirect-loop/{m[1]}/{(int(m[2] or 0) + 1) % int(m[1])}")

    def redirect_chain(r: Request, m: re.Match[str]) -> Reply:
        return _ok() if int(m[1]) <= 0 else redirect(f"/redirect-chain/{int(m[1]) - 1}")

    return {
        r"/json": echo,
        r"/status/(\d{3})": lambda r, m: status(int(m[1])),
        r"/fail/(\d{3})/(\d+)/([^/]+)": fail,
        r"/retry-after/([^/]+)/([^/]+)": retry_after,
        r"/retry-after-503/([^/]+)/([^/]+)": lambda r, m: retry_after(r, m, 503),
        r"/retry-after-always/([^/]+)": lambda r, m: status(429, "slow down", Retry_After=m[1]),
        r"/slow-headers/([\d.]+)": lambda r, m: delay(float(m[1]), _ok()),
        r"/trickle/(\d+)/([\d.]+)/(\d+)": trickle,
        r"/reset(?:/(\d+)/([^/]+))?": reset,
        r"/big/(\d+)": lambda r, m: Reply(200, b"x" * int(m[1]), "application/octet-stream"),
        r"/big-chunked/(\d+)": chunked,
        r"/redirect/(.+)": lambda r, m: redirect(unquote(m[1])),
        r"/redirect-loop/(\d+)(?:/(\d+))?": redirect_loop,
        r"/redirect-chain/(\d+)": redirect_chain,
        r"/html200": lambda r, m: Reply.html(HTML_PAGE),
        # http.server writes header values as latin-1: the Location holds the byte 0xFC ...
        r"/latin1-redirect": lambda r, m: redirect("/echo/bi/sitzung_\xfcbersicht.asp"),
        # ... and here the same Location in UTF-8: the bytes 0xC3 0xBC (latin-1 characters here).
        r"/utf8-redirect": lambda r, m: redirect("/echo/bi/sitzung_\xc3\xbcbersicht.asp?a b"),
        r"/echo/(.*)": lambda r, m: Reply.json({"path": r.target}),
    }


class FaultyServer(LocalServer):
    """A threaded HTTP server on 127.0.0.1 (a free port) serving the scenarios above."""

    def __init__(self, host: str = "127.0.0.1", *, tls: tuple[str, str] | None = None) -> None:
        super().__init__(host=host, tls=tls, name="faulty-server")
        for pattern, scenario in _routes(self).items():
            self.routes[re.compile(pattern)] = _route(scenario)
        self.fallback = Reply(404, b"no such scenario")


def _route(scenario: Scenario) -> Callable[[Request], Reply]:
    """``scenario`` as a route: called with the request and the match of its pattern."""

    def answer(request: Request) -> Reply:
        assert request.match is not None  # the server fills it in for a pattern route
        return scenario(request, request.match)

    return answer
