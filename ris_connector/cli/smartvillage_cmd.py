"""``ris-connector smartvillage``: upcoming meetings into a Smart Village mainserver."""

from __future__ import annotations

import argparse
import json
import os
from datetime import timedelta
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK, add_db_argument, open_db, print_json
from ris_connector.errors import ConfigError
from ris_connector.sinks.smartvillage import MainserverClient, Operation, SmartVillageSink
from ris_connector.sinks.smartvillage.mapping import DEFAULT_CATEGORY


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("smartvillage", help="send upcoming meetings to a Smart Village mainserver (GraphQL)")
    add_db_argument(p)
    p.add_argument("--url", required=True, help="mainserver base URL (…/oauth/token and …/graphql below it)")
    p.add_argument("--client-id-env", metavar="NAME", default="SVA_CLIENT_ID", help="env variable with the client id")
    p.add_argument(
        "--client-secret-env", metavar="NAME", default="SVA_CLIENT_SECRET", help="env variable with the client secret"
    )
    p.add_argument("--category", default=DEFAULT_CATEGORY, help=f"category name (default: {DEFAULT_CATEGORY})")
    p.add_argument("--days", type=int, default=90, help="how far ahead meetings are sent (default: 90)")
    p.add_argument("--source", default=None, help="only meetings of this source")
    p.add_argument("--dry-run", action="store_true", help="print the GraphQL that would be sent; send nothing")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(handler=run_smartvillage)


def _env(name: str, option: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} ({option}) is not set or empty")
    return value


def _show(op: Operation) -> None:
    print(f"# {op.action} {op.record_id}")
    print(op.query, end="")
    print(json.dumps(op.variables, ensure_ascii=False, indent=2))
    print()


def run_smartvillage(args: argparse.Namespace) -> int:
    """Plan and send (or print) the event records; exit 3 when one could not be sent."""
    if not args.url.startswith(("http://", "https://")):
        raise ConfigError(f"--url must be an http(s) URL, not {args.url!r}")
    client = None
    if not args.dry_run:
        client = MainserverClient(
            args.url,
            client_id=_env(args.client_id_env, "--client-id-env"),
            client_secret=_env(args.client_secret_env, "--client-secret-env"),
        )
    store = open_db(args)
    try:
        sink = SmartVillageSink(
            store, args.url, category=args.category, horizon=timedelta(days=args.days), source=args.source
        )
        report = sink.run(client, dry_run=args.dry_run, show=_show if args.dry_run else None)
    finally:
        store.close()
    if args.json:
        print_json({"dryRun": args.dry_run, **report.to_json_dict()})
    elif not args.dry_run:
        print(
            f"created {report.created}, updated {report.updated}, destroyed {report.destroyed}, "
            f"unchanged {report.unchanged}, skipped {report.skipped}, failed {report.failed}"
        )
        for error in report.errors:
            print(f"error: {error}")
    return EXIT_INCOMPLETE if report.failed else EXIT_OK
