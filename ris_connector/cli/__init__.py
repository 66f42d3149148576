"""The ``ris-connector`` command line.

Exit status: 0 when the run completed, 2 for usage or configuration errors, 3 when a source
could not be synced completely, 4 when every source was read whole but one quarantined more
than its ``max_quarantine_fraction`` of a type (degraded; docs/health.md).
Each sub-command lives in its own module with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ris_connector import logsafe
from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, bound_numbers
from ris_connector.errors import ConfigError, RisError, SourceError
from ris_connector.runtime import tune_gc
from ris_connector.version import __version__

#: Commands listed first in ``--help``; every other ``*_cmd`` module follows alphabetically.
_FIRST = ("sync_cmd", "export_cmd", "demo_cmd")


def _module_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_cmd"))


def command_modules() -> list[ModuleType]:
    """Every ``ris_connector.cli.*_cmd`` module; each adds its sub-command(s) with ``register``."""
    names = _module_names()
    ordered = [n for n in _FIRST if n in names] + [n for n in names if n not in _FIRST]
    return [importlib.import_module(f"{__name__}.{n}") for n in ordered]


def command_name(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names: its first word that is no option (none take values)."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every sub-command.

    With ``command``, and a module ``<command>_cmd`` that registers it, only that module is
    imported: ``ris-connector sync`` then loads no web server, mirror or sink code.
    Every numeric option gets a range (:func:`~ris_connector.cli.common.bound_numbers`).
    """
    if command is not None:
        name = command.replace("-", "_") + "_cmd"
        if name in _module_names():
            parser, sub = _top_parser()
            importlib.import_module(f"{__name__}.{name}").register(sub)
            if command in sub.choices:
                bound_numbers(parser)
                return parser
    parser, sub = _top_parser()
    for module in command_modules():
        module.register(sub)
    bound_numbers(parser)
    return parser


def _top_parser() -> tuple[argparse.ArgumentParser, Any]:
    parser = argparse.ArgumentParser(
        prog="ris-connector",
        description="Sync council information systems (OParl, SOAP, XML, iCalendar) into one normalized store.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr, no progress")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    return parser, sub


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger("ris_connector")
    root.handlers[:] = [handler]
    logsafe.install(root)  # source text escaped before the handler formats it
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(command_name(argv))
    tune_gc()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, args.quiet)
    try:
        status: int = args.handler(args)
    except ConfigError as exc:
        print(f"ris-connector: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SourceError as exc:
        print(f"ris-connector: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except RisError as exc:
        print(f"ris-connector: error: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        print("ris-connector: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
