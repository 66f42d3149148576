"""``ris-connector new-adapter NAME``: create an adapter package that passes the test kit."""

from __future__ import annotations

import argparse
import shlex
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
    """Write the package and print the commands that install and test it."""
    target = create_adapter_package(args.name, Path(args.dir), force=args.force)
    module = names(args.name)["module"]
    print(f"created {target}/ ({module}/adapter.py, tests/, pyproject.toml, README.md)")
    print("next:")
    for command, comment in next_steps(args.name, target):
        print(f"  {command:<50}  # {comment}")
    return EXIT_OK


def next_steps(name: str, target: Path) -> list[tuple[str, str]]:
    """The commands (and what each does) from a new package to a passing kit test."""
    return [
        (
            f"pip install -e {shlex.quote(f'{target}[test]')}",
            "the package, its entry point and the test kit (vcrpy, pytest)",
        ),
        ("ris-connector adapters", f"lists {name}"),
        (f"python -m pytest {shlex.quote(str(target / 'tests'))}", "the test kit, against a local copy of the source"),
    ]
