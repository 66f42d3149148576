"""``ris-connector serve`` and ``ris-connector export-oparl``: the store as an OParl 1.1 endpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from ris_connector.cli.common import EXIT_OK, add_db_argument, open_db
from ris_connector.config import load_config
from ris_connector.errors import ConfigError
from ris_connector.outputs.oparl import OParlApp, create_app, export_static
from ris_connector.store import Store


def register(sub: Any) -> None:
    """Add the sub-commands."""
    s = sub.add_parser("serve", help="serve the store as an OParl 1.1 endpoint (WSGI, for small sites and tests)")
    add_db_argument(s)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8080, help="port (default: 8080; 0 picks a free one)")
    s.add_argument("--base-url", metavar="URL", help="public URL of the endpoint (default: from each request)")
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
        "--config", metavar="FILE", help="configuration file: its [output] table names the publisher (and its db)"
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


def _check_files(args: argparse.Namespace) -> None:
    if args.files and not Path(args.files).is_dir():
        raise ConfigError(f"--files: no such directory: {args.files}")


def _open(args: argparse.Namespace) -> tuple[Store, dict[str, str]]:
    """The store and the publisher's System facts of ``--config`` ([output])."""
    config = load_config(args.config) if args.config else None
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


class _QuietHandler(WSGIRequestHandler):
    """Request log lines on stderr only with -v (wsgiref prints every request otherwise)."""

    verbose = False

    def log_message(self, format: str, *args: Any) -> None:
        if self.verbose:
            super().log_message(format, *args)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    _check_files(args)
    store, publisher = _open(args)
    app = _app(store, args, publisher)
    handler = type("Handler", (_QuietHandler,), {"verbose": args.verbose > 0})
    with make_server(args.host, args.port, app, handler_class=handler) as server:
        url = args.base_url or f"http://{args.host}:{server.server_port}"
        print(f"OParl 1.1 endpoint: {url.rstrip('/')}/system (Ctrl-C stops)", file=sys.stderr, flush=True)
        try:
            server.serve_forever()
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
