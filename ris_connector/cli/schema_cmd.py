"""``ris-connector schema``: write the normalized schema as JSON Schema, one file per type."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK
from ris_connector.generated import stale_files, write_files
from ris_connector.schema import render_schemas


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("schema", help="write one JSON Schema file per record type")
    p.add_argument("--out", default="schemas", metavar="DIR", help="directory (default: schemas/)")
    p.add_argument("--check", action="store_true", help="only check that DIR is current; exit 3 if stale")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write or check the schema files."""
    target = Path(args.out)
    rendered = render_schemas()
    if args.check:
        stale = stale_files(target, rendered, pattern="*.json")
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        return EXIT_INCOMPLETE if stale else EXIT_OK
    write_files(target, rendered)
    print(f"wrote {len(rendered)} schema files to {target}", file=sys.stderr)
    return EXIT_OK
