"""``ris-connector demo``: serve bundled sample data as OParl on 127.0.0.1 and sync it."""

from __future__ import annotations

import argparse
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK, Progress, add_db_argument, print_json
from ris_connector.config import source_from_mapping
from ris_connector.errors import ConfigError
from ris_connector.store import open_store
from ris_connector.sync import run_source

DEMO_DB = "ris-connector-demo.db"
#: A fixed port keeps record ids (which are the server's URLs) equal across demo runs.
DEMO_PORT = 8317


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("demo", help="serve sample council data on 127.0.0.1 and sync it (no network needed)")
    add_db_argument(p)
    p.add_argument("--scale", type=float, default=0.02, help="size of the sample data (1.0 = a large city)")
    p.add_argument("--oparl-version", choices=("1.0", "1.1"), default="1.1")
    p.add_argument("--port", type=int, default=DEMO_PORT, help=f"port on 127.0.0.1 (default {DEMO_PORT}; 0 = any)")
    p.add_argument("--json", action="store_true", help="print the run report as one JSON object on stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the sample server, sync it once, print the report."""
    from ris_connector.sample.server import OParlServer

    store = open_store(args.db or DEMO_DB)  # its own file: never the fleet's RIS_DB
    try:
        try:
            server = OParlServer(version=args.oparl_version, scale=args.scale, port=args.port).start()
        except OSError as exc:
            raise ConfigError(
                f"cannot serve the demo on 127.0.0.1:{args.port} ({exc}); choose another --port"
            ) from None
        with server:
            source = source_from_mapping({"name": "demo", "adapter": "oparl", "url": server.system_url})
            progress = Progress("demo", enabled=not args.quiet)
            report = run_source(source, store, progress=progress)
            progress.done()
    finally:
        store.close()
    if args.json:
        print_json(report.to_json_dict())
    else:
        print(report.summary())
        db = args.db or DEMO_DB
        print(f"\nThe data is in {db}. Try:\n  ris-connector export --db {db} --type Meeting | head -3")
        print(f"  ris-connector changes --db {db} | head -3")
    return EXIT_OK if report.complete else EXIT_INCOMPLETE
