"""``ris-connector export`` and ``ris-connector changes``: JSON lines from the store."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ris_connector.cli.common import EXIT_OK, EXIT_USAGE, add_db_argument, open_db, print_json
from ris_connector.models import RECORD_TYPES


def register(sub: Any) -> None:
    """Add the sub-commands."""
    p = sub.add_parser("export", help="print stored records as JSON lines")
    add_db_argument(p)
    p.add_argument("--type", dest="type_name", metavar="TYPE", help=f"one of {', '.join(RECORD_TYPES)}")
    p.add_argument("--source", help="only records of this source")
    p.add_argument("--include-deleted", action="store_true", help="also records deleted at the source")
    p.set_defaults(handler=run_export)

    c = sub.add_parser("changes", help="print the change feed as JSON lines")
    add_db_argument(c)
    c.add_argument("--after", type=int, default=0, metavar="SEQ", help="only events after this sequence number")
    c.add_argument("--limit", type=int, default=None, help="at most this many events")
    c.add_argument("--source", help="only events of this source")
    c.set_defaults(handler=run_changes)


def run_export(args: argparse.Namespace) -> int:
    """Print records."""
    if args.type_name and args.type_name not in RECORD_TYPES:
        print(f"ris-connector: unknown type {args.type_name!r}; use one of {', '.join(RECORD_TYPES)}", file=sys.stderr)
        return EXIT_USAGE
    store = open_db(args)
    try:
        for row in store.iter_rows(type_name=args.type_name, source=args.source, include_deleted=args.include_deleted):
            print_json(row.data)
    finally:
        store.close()
    return EXIT_OK


def run_changes(args: argparse.Namespace) -> int:
    """Print change events."""
    store = open_db(args)
    try:
        for event in store.changes(after=args.after, limit=args.limit, source=args.source):
            print_json(event.to_json_dict())
    finally:
        store.close()
    return EXIT_OK
