"""One database connection per thread, for stores shared by several threads.

A DB-API connection holds at most one transaction: two threads writing through one connection
interleave their statements in one transaction (one commits the other's half-written batch, or
fails with "cannot start a transaction within a transaction"), and a thread reading through it
sees the other's uncommitted rows. Giving every thread its own connection makes each
transaction belong to exactly one thread, and the database's own isolation (SQLite WAL,
PostgreSQL READ COMMITTED) keeps uncommitted rows from every other reader.

Connections are opened on a thread's first use and closed by :meth:`PerThread.close`;
connections of threads that have ended are closed when the next one is opened, so a store used
from many short-lived threads keeps no more connections than live threads use it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


class PerThread(Generic[C]):
    """The calling thread's connection, made by ``connect`` on first use."""

    def __init__(self, connect: Callable[[], C], *, closed_error: Callable[[], Exception]) -> None:
        self._connect = connect
        self._closed_error = closed_error
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[threading.Thread, C]] = []
        self._closed = False

    def get(self) -> C:
        """This thread's connection (opened now if it has none)."""
        conn: C | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        return self._open_for_this_thread()

    def adopt(self, conn: C) -> None:
        """Use ``conn`` (already open) as the calling thread's connection."""
        with self._lock:
            self._open.append((threading.current_thread(), conn))
        self._local.conn = conn

    def _open_for_this_thread(self) -> C:
        with self._lock:
            if self._closed:
                raise self._closed_error()
            ended = [(t, c) for t, c in self._open if not t.is_alive()]
            self._open = [(t, c) for t, c in self._open if t.is_alive()]
        for _, old in ended:
            _close_quietly(old)
        conn = self._connect()
        self.adopt(conn)
        return conn

    def count(self) -> int:
        """How many connections are open."""
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        """Close every thread's connection; later use raises ``closed_error``."""
        with self._lock:
            self._closed = True
            conns, self._open = self._open, []
        self._local = threading.local()
        for _, conn in conns:
            _close_quietly(conn)


def _close_quietly(conn: Closable) -> None:
    try:
        conn.close()
    except Exception as exc:  # a connection already broken: nothing left to release
        log.debug("closing a store connection failed: %s", exc)
