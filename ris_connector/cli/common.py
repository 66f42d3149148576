"""Helpers shared by the sub-commands: exit codes, JSON output, progress, store opening."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ris_connector.celery.settings import FleetSettings
from ris_connector.config import load_config
from ris_connector.errors import StoreMissing
from ris_connector.store import DEFAULT_DB, Store, open_store

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
#: ``sync``: every source was read whole but at least one quarantined more than its
#: ``max_quarantine_fraction`` of a type (none failed); ``status``: such a run is a source's
#: latest complete one (none is stale). See docs/health.md.
EXIT_DEGRADED = 4


#: Ranges (inclusive) of numeric options, by option string. Other whole-number options take
#: 0 to 2**62 and other decimal options 0 to 1e9: a number beyond what an option can mean is a
#: usage error (exit status 2), never a traceback later (SQLite, sockets and threads overflow).
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "--port": (0, 65535),
    "--workers": (1, 256),
    "--concurrency": (1, 256),
    "--max-attempts": (1, 100),
    "--limit": (1, 1_000_000_000),
    "--days": (1, 36500),
    "--scale": (0.0001, 10),
    "--max-size": (1, 2**40),
}
_DEFAULT_RANGES: dict[type, tuple[float, float]] = {int: (0, 2**62), float: (0, 1e9)}


def number_type(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], int | float]:
    """An argparse ``type`` that accepts a finite ``kind`` from ``low`` to ``high`` only."""

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {'whole ' if kind is int else ''}number: {text[:40]!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            shown = f"{int(low):,} to {int(high):,}" if kind is int else f"{low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{text[:40]} is out of range (from {shown})")
        return value

    convert.__name__ = kind.__name__
    return convert


def bound_numbers(parser: argparse.ArgumentParser) -> None:
    """Give every ``int``/``float`` option of ``parser`` and its sub-commands a range (see NUMBER_RANGES)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                bound_numbers(sub)
        elif action.type in (int, float):
            kind: type[int] | type[float] = action.type
            name = next((o for o in action.option_strings if o.startswith("--")), action.dest)
            low, high = NUMBER_RANGES.get(name, _DEFAULT_RANGES[kind])
            action.type = number_type(kind, low, high)


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """``--db PATH``: a SQLite file path or a ``postgresql://`` URL."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="database: SQLite file or postgresql:// URL (default: $RIS_DB, else the sources file's db, "
        f"else {DEFAULT_DB} in the working directory)",
    )


def store_target(args: argparse.Namespace, fallback: str | None = None) -> str:
    """The store a command uses, found as the Celery workers find theirs: ``--db``; ``RIS_DB``;
    the sources file's ``db`` (``fallback``, from the command's own ``--config``, else the file
    ``RIS_CONFIG`` names); ``./ris-connector.db``."""
    if args.db:
        return str(args.db)
    settings = FleetSettings.from_env()
    if settings.db:
        return settings.db
    if fallback:
        return fallback
    if settings.config and not getattr(args, "config", None):
        file_db = load_config(settings.config).db
        if file_db:
            return file_db
    return DEFAULT_DB


#: The file ``ris-connector demo`` syncs into (not the default store, so a demo never mixes with real data).
DEMO_DB = "ris-connector-demo.db"


def require_store(target: str) -> None:
    """StoreMissing if ``target`` is a SQLite file that does not exist (opening would create it)."""
    if target.startswith(("postgresql://", "postgres://")) or target == ":memory:":
        return
    path = target[len("sqlite:///") :] if target.startswith("sqlite:///") else target
    if "://" not in path and not Path(path).exists():
        demo = Path(path).with_name(DEMO_DB)
        hint = f"; the demo's store is here: --db {demo}" if demo.exists() else ""
        raise StoreMissing(
            f"no store at {path}: nothing has been synced there "
            f"(name the store with --db, RIS_DB, or db in the sources file given by --config or RIS_CONFIG){hint}"
        )


def open_db(args: argparse.Namespace, fallback: str | None = None, *, create: bool = False) -> Store:
    """The store of :func:`store_target`. Only a command that writes data (``create``) may make a
    new one; every other command stops with StoreMissing instead of reading an empty new file."""
    target = store_target(args, fallback)
    if not create:
        require_store(target)
    return open_store(target)


def print_json(data: Any, out: TextIO | None = None) -> None:
    """One JSON document (or line) on stdout."""
    stream = out or sys.stdout
    stream.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


class Progress:
    """A one-line progress display on a terminal's stderr; silent elsewhere."""

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, phase: str, count: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        sys.stderr.write(f"\r{self.label}: {phase} {count:,} ".ljust(60))
        sys.stderr.flush()
        self._shown = True

    def done(self) -> None:
        """Clear the progress line."""
        if self._shown:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
