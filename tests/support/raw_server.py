"""A real HTTP server on 127.0.0.1 that answers with raw bytes: any status line, any headers.

For fuzzing the adapters (tests/sync/test_engine_fuzz.py, bench/fuzz_sources.py): a route maps a
path (without query) to a :class:`Raw` answer or to a function of the request that returns one.
The answer is written exactly as given (a Content-Length that lies, a latin-1 Location, a body
that ends early), then the connection is closed, so every answer is one request's. It is a
:class:`~ris_connector.testing.LocalServer` whose replies are ``Reply(raw=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ris_connector.testing import LocalServer, Reply, Request


@dataclass(frozen=True)
class Raw:
    """One answer, sent byte for byte: ``status`` and ``reason`` on the status line, ``headers``
    as given (nothing added: no Content-Length unless listed), then ``body``."""

    status: int = 200
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    reason: bytes = b"OK"

    def encode(self) -> bytes:
        head = b"HTTP/1.1 %d %s\r\n" % (self.status, self.reason)
        head += b"".join(name + b": " + value + b"\r\n" for name, value in self.headers)
        return head + b"Connection: close\r\n\r\n" + self.body

    def reply(self) -> Reply:
        """This answer as the :class:`~ris_connector.testing.Reply` that sends it."""
        return Reply(raw=self.encode())


def answer(status: int, body: bytes, content_type: bytes, **more: bytes) -> Raw:
    """A well-formed answer (Content-Type, Content-Length, extra headers by name)."""
    headers = [(b"Content-Type", content_type), (b"Content-Length", str(len(body)).encode())]
    headers += [(name.replace("_", "-").encode(), value) for name, value in more.items()]
    return Raw(status, tuple(headers), body)


Route = Raw | Callable[[Request], Raw]


class RawServer(LocalServer):
    """Start with ``.start()``; :meth:`serve` replaces the routes between runs."""

    def __init__(self) -> None:
        super().__init__(fallback=answer(404, b"not found", b"text/plain").reply(), convert=_as_raw, name="raw-server")

    @property
    def base(self) -> str:
        return self.base_url

    def serve(self, routes: Mapping[str, Route]) -> None:
        """Answer with ``routes`` from now on (and nothing else): each path's :class:`Raw`, or what
        its function returns for the request."""
        self.routes = {path: route if callable(route) else route.reply() for path, route in routes.items()}


def _as_raw(value: Any) -> Reply:
    return value.reply() if isinstance(value, Raw) else value
