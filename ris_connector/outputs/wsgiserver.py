"""The WSGI server of ``ris-connector serve``: waitress, so slow and idle clients stall nobody.

waitress reads requests and writes answers in one asynchronous loop and hands only complete
requests to a pool of worker threads. A client that connects and sends nothing, or sends its
headers a byte a second, holds one connection slot, never a thread; idle connections are closed
after ``channel_timeout`` seconds, and at most ``connection_limit`` are held at a time (further
clients wait in the listen backlog). :func:`make_server` takes any WSGI application, so other
apps (metrics, status) can be mounted next to the OParl endpoint by composing them first.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from threading import Thread
from typing import Any, cast

from waitress import trigger, wasyncore
from waitress.server import create_server

from ris_connector.errors import ConfigError

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: File descriptors kept free beyond the connection limit (store, logs, mirrored files).
_SPARE_FDS = 64


@dataclass(frozen=True)
class ServerSettings:
    """Threads and limits of the server; checked when made (ConfigError names the setting)."""

    threads: int = 8
    """Worker threads answering requests (the OParl app serializes its store reads)."""
    channel_timeout: int = 60
    """Seconds a connection may stay silent between requests before it is closed."""
    connection_limit: int = 1000
    """Connections held open at once; more wait in the listen backlog."""
    max_request_header_size: int = 64 * 1024
    """Bytes of request line and headers; a larger request is answered 431."""

    #: Allowed range of each setting.
    LIMITS = {
        "threads": (1, 256),
        "channel_timeout": (1, 86_400),
        "connection_limit": (1, 100_000),
        "max_request_header_size": (1024, 1024 * 1024),
    }

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            low, high = self.LIMITS[f.name]
            if type(value) is not int or not low <= value <= high:
                raise ConfigError(f"serve: {f.name} must be a whole number from {low} to {high}, got {value!r}")


class WsgiServer:
    """A listening waitress server; :meth:`run` serves until :meth:`stop` or Ctrl-C."""

    def __init__(self, server: Any, socket_map: dict[int, Any], host: str) -> None:
        self._server = server
        self._map = socket_map
        self._host = host

    @property
    def port(self) -> int:
        """The port listened on (the one picked when 0 was asked for)."""
        listen = getattr(self._server, "effective_listen", None)
        return int(listen[0][1] if listen else self._server.effective_port)

    @property
    def url(self) -> str:
        """``http://host:port`` of the server (IPv6 literals in brackets)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until :meth:`stop` is called (from another thread) or the process is interrupted."""
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown()

    def stop(self) -> None:
        """Close the listening socket and every connection; :meth:`run` returns soon after."""

        def close_all(_: object = None) -> None:  # run by the server's loop thread
            wasyncore.close_all(self._map)

        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, trigger.trigger):
                dispatcher.pull_trigger(close_all)
                return
        close_all()  # pragma: no cover - waitress always has a trigger


def make_server(app: WsgiApp, host: str, port: int, settings: ServerSettings | None = None) -> WsgiServer:
    """A waitress server for ``app`` listening on ``host``:``port`` (0: a free port)."""
    settings = settings or ServerSettings()
    _ensure_descriptors(settings.connection_limit + _SPARE_FDS)
    socket_map: dict[int, Any] = {}
    try:
        server = create_server(
            cast(Any, app),
            map=socket_map,
            host=host,
            port=port,
            threads=settings.threads,
            channel_timeout=settings.channel_timeout,
            cleanup_interval=max(1, min(30, settings.channel_timeout // 2)),
            connection_limit=settings.connection_limit,
            max_request_header_size=settings.max_request_header_size,
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
            expose_tracebacks=False,
            ident="ris-connector",
        )
    except OSError as exc:
        raise ConfigError(f"serve: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return WsgiServer(server, socket_map, host)


@contextmanager
def serving(
    app: WsgiApp, host: str = "127.0.0.1", port: int = 0, settings: ServerSettings | None = None
) -> Iterator[WsgiServer]:
    """Run the server in a background thread for the duration of a block (tests, embedding)."""
    server = make_server(app, host, port, settings)
    thread = Thread(target=server.run, name="ris-connector-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(10)


def access_log(app: WsgiApp, logger: logging.Logger) -> WsgiApp:
    """``app`` logging one INFO line per request: method, path (escaped), status, milliseconds."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        status: list[str] = []

        def recording(code: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, *exc_info)

        try:
            return app(environ, recording)
        finally:
            logger.info(
                "%s %r %s %.0f ms",
                environ.get("REQUEST_METHOD", "?"),
                environ.get("PATH_INFO", ""),
                status[-1] if status else "-",
                (time.monotonic() - started) * 1000,
            )

    return logged


def _ensure_descriptors(needed: int) -> None:
    """Raise the soft limit of open files to ``needed`` where the hard limit allows; else say so."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target < needed:
        raise ConfigError(
            f"serve: connection_limit needs {needed} open files, the system allows {target} "
            "(raise `ulimit -n` or lower --connection-limit)"
        )
