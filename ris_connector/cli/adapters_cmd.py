"""``ris-connector adapters``: list the adapters installed through entry points."""

from __future__ import annotations

import argparse
from typing import Any

from ris_connector.adapters.registry import list_adapters
from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK, print_json


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser("adapters", help="list installed adapters")
    p.add_argument("--json", action="store_true", help="one JSON object per adapter")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the adapters; exit 3 if one fails to load."""
    infos = list_adapters()
    for info in infos:
        if args.json:
            print_json(info.__dict__)
        else:
            where = f"{info.distribution} {info.version}" if info.distribution else "?"
            text = info.error or info.description
            print(f"{info.name:<12} {where:<24} {info.target}\n{'':<12} {text}")
    return EXIT_INCOMPLETE if any(i.error for i in infos) else EXIT_OK
