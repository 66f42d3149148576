"""Reading a response body within a size limit and a time budget, for GETs and POSTs alike.

A body is read in chunks; before each chunk the time left is checked and the socket's wait
cut to it, and the byte count is checked after it. So neither a huge nor a trickled answer can
hold more memory than the limit or more time than the request has.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import IO, Any

import urllib3

from ris_connector.http.timing import Budget

CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body exceeded the limit (``received`` bytes so far)."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


class BodyOutOfTime(Exception):
    """The request's time budget ran out while the body was read (``received`` bytes so far)."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


def read_body(
    raw: Any,
    limit: int,
    budget: Budget,
    read_timeout: float,
    *,
    truncate: bool = False,
    sink: IO[bytes] | None = None,
    received: list[int] | None = None,
) -> bytes:
    """The body of ``raw`` (a urllib3 response, or a stub with ``read(amt, decode_content)``).

    More than ``limit`` bytes raise :class:`BodyTooLarge`, or with ``truncate`` end the read
    at ``limit``; a spent budget raises :class:`BodyOutOfTime`. With ``sink`` the bytes go
    there and ``b""`` is returned. ``received[0]`` counts the bytes read, also on failure.
    urllib3's read errors propagate.
    """
    native = isinstance(raw, urllib3.BaseHTTPResponse)
    # urllib3's read1 returns what has arrived (budget checks between chunks); other raw
    # objects (recording libraries' stubs such as vcrpy's) only promise read(amt, decode_content).
    reader: Callable[..., bytes | None] = raw.read1 if native else raw.read
    count = received if received is not None else [0]
    body = io.BytesIO()  # getvalue() hands over its buffer: a body is held once, not twice
    while True:
        left = budget.remaining()
        if left <= 0:
            raise BodyOutOfTime(count[0])
        if native:
            limit_wait(raw, min(read_timeout, left))
        try:
            chunk = reader(CHUNK, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError:
            if budget.remaining() <= 0:
                raise BodyOutOfTime(count[0]) from None
            raise
        if not chunk:
            break
        count[0] += len(chunk)
        if count[0] > limit and not truncate:
            raise BodyTooLarge(count[0])
        if sink is not None:
            sink.write(chunk)
            continue
        body.write(chunk)
        if body.tell() > limit:
            body.truncate(limit)
            count[0] = limit
            break
    if budget.remaining() <= 0:
        raise BodyOutOfTime(count[0])
    return body.getvalue()


def limit_wait(raw: urllib3.BaseHTTPResponse, seconds: float) -> None:
    """Let the next socket read of ``raw`` wait at most ``seconds`` (where the socket is reachable)."""
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(max(seconds, 0.001))
