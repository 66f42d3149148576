"""``ris-connector serve`` and ``ris-connector export-oparl``: the store as an OParl 1.1 endpoint."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ris_connector.celery.settings import FleetSettings
from ris_connector.cli.common import EXIT_OK, add_db_argument, open_db
from ris_connector.config import load_config
from ris_connector.errors import ConfigError
from ris_connector.outputs.mount import with_operations
from ris_connector.outputs.oparl import OParlApp, create_app, export_static
from ris_connector.outputs.wsgiserver import ServerSettings, WsgiApp, WsgiServer, access_log, make_server
from ris_connector.store import Store

log = logging.getLogger("ris_connector.serve")


def register(sub: Any) -> None:
    """Add the sub-commands."""
    s = sub.add_parser("serve", help="serve the store as an OParl 1.1 endpoint (waitress WSGI server)")
    add_db_argument(s)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=_port, default=8080, help="port (default: 8080; 0 picks a free one)")
    s.add_argument("--base-url", metavar="URL", help="public URL of the endpoint (default: from each request)")
    defaults = ServerSettings()
    for name, text in (
        ("threads", "worker threads answering requests"),
        ("channel_timeout", "seconds a silent connection is kept open"),
        ("connection_limit", "connections held open at once (more wait in the backlog)"),
    ):
        low, high = ServerSettings.LIMITS[name]
        s.add_argument(
            "--" + name.replace("_", "-"),
            type=_bounded(low, high),
            default=getattr(defaults, name),
            metavar="N",
            help=f"{text} ({low}-{high}, default: {getattr(defaults, name)})",
        )
    _common(s)
    s.set_defaults(handler=run_serve)

    e = sub.add_parser("export-oparl", help="write the OParl 1.1 endpoint as static files")
    add_db_argument(e)
    e.add_argument("--out", required=True, metavar="DIR", help="directory to write (created if missing)")
    e.add_argument("--base-url", required=True, metavar="URL", help="public URL the tree will be served at")
    _common(e)
    e.set_defaults(handler=run_export_oparl)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        metavar="FILE",
        help="sources file: its [output] table names the publisher, its db the store (default: $RIS_CONFIG)",
    )
    p.add_argument(
        "--system-name",
        default=None,
        help="name of the OParl System object (default: [output] name, else the one source's, else ris-connector)",
    )
    p.add_argument(
        "--files",
        metavar="DIR",
        help="the document mirror (ris-connector files --dest DIR): serve mirrored Files from the output's own URLs",
    )
    p.add_argument(
        "--body-name",
        action="append",
        default=[],
        metavar="SOURCE=NAME",
        help="name of the Body made up for records of SOURCE that have none (default: the source name)",
    )


def _body_names(values: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for value in values:
        source, sep, name = value.partition("=")
        if not sep or not source or not name:
            raise ConfigError(f"--body-name expects SOURCE=NAME, got {value!r}")
        names[source] = name
    return names


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (else a usage error, exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {text[:40]}")
        return value

    return parse


_port = _bounded(0, 65535)


def _check_files(args: argparse.Namespace) -> None:
    if args.files and not Path(args.files).is_dir():
        raise ConfigError(f"--files: no such directory: {args.files}")


def _open(args: argparse.Namespace) -> tuple[Store, dict[str, str]]:
    """The store and the publisher's System facts ([output]) of ``--config``, else ``RIS_CONFIG``."""
    path = args.config or FleetSettings.from_env().config
    config = load_config(path) if path else None
    return open_db(args, config.db if config else None), config.output.facts() if config else {}


def _app(store: Store, args: argparse.Namespace, publisher: dict[str, str]) -> OParlApp:
    return create_app(
        store,
        base_url=args.base_url,
        system_name=args.system_name,
        body_names=_body_names(args.body_name),
        files_dir=args.files,
        publisher=publisher,
    )


def serve_app(
    app: WsgiApp,
    host: str,
    port: int,
    settings: ServerSettings,
    *,
    on_ready: Callable[[WsgiServer], None] | None = None,
    verbose: bool = False,
) -> None:
    """Serve ``app`` with waitress until interrupted (``on_ready`` is called once listening).

    The one place of the server setup: further applications (metrics, status) are mounted by
    composing them into ``app`` before it is passed here.
    """
    server = make_server(access_log(app, log) if verbose else app, host, port, settings)
    if on_ready is not None:
        on_ready(server)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    try:
        server.run()  # returns on Ctrl-C (and SIGTERM): connections closed, threads stopped
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (systemd, docker stop) ends ``serve`` as Ctrl-C does, so the store is closed."""
    raise KeyboardInterrupt


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    _check_files(args)
    settings = ServerSettings(
        threads=args.threads, channel_timeout=args.channel_timeout, connection_limit=args.connection_limit
    )
    store, publisher = _open(args)

    def ready(server: WsgiServer) -> None:
        url = (args.base_url or server.url).rstrip("/")
        print(f"OParl 1.1 endpoint: {url}/system (Ctrl-C stops)", file=sys.stderr, flush=True)
        print(f"status page: {url}/status, metrics: {url}/metrics", file=sys.stderr, flush=True)  # i18-ops

    app = with_operations(_app(store, args, publisher), store)  # + /metrics and /status (i18-ops)
    try:
        serve_app(app, args.host, args.port, settings, on_ready=ready, verbose=args.verbose > 0)
    finally:
        store.close()
    return EXIT_OK


def run_export_oparl(args: argparse.Namespace) -> int:
    """Write the static tree."""
    _check_files(args)
    store, publisher = _open(args)
    try:
        app = _app(store, args, publisher)
        count = export_static(app, args.out, args.base_url)
    finally:
        store.close()
    print(f"wrote {count} files to {args.out}", file=sys.stderr)
    return EXIT_OK
