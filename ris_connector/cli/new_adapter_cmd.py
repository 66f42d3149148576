"""``ris-connector new-adapter NAME``: create an adapter package that passes the test kit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ris_connector.cli.common import EXIT_OK
from ris_connector.scaffold import create_adapter_package, names


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("new-adapter", help="create an adapter package (entry point, kit test, README)")
    p.add_argument("name", help="adapter name: lower-case letters, digits, '_' (e.g. events)")
    p.add_argument("--dir", default="adapters", metavar="DIR", help="parent directory (default: adapters/)")
    p.add_argument("--force", action="store_true", help="overwrite files in an existing directory")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the package and say what to do next."""
    target = create_adapter_package(args.name, Path(args.dir), force=args.force)
    module = names(args.name)["module"]
    print(f"created {target}/ ({module}/adapter.py, tests/, pyproject.toml, README.md)", file=sys.stderr)
    print(f"next: pip install -e {target} && python -m pytest {target}/tests", file=sys.stderr)
    return EXIT_OK
