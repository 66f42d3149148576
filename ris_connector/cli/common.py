"""Helpers shared by the sub-commands: exit codes, JSON output, progress, store opening."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ris_connector.celery.settings import FleetSettings
from ris_connector.config import load_config
from ris_connector.errors import StoreMissing
from ris_connector.store import DEFAULT_DB, Store, open_store

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


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


def require_store(target: str) -> None:
    """StoreMissing if ``target`` is a SQLite file that does not exist (opening would create it)."""
    if target.startswith(("postgresql://", "postgres://")) or target == ":memory:":
        return
    path = target[len("sqlite:///") :] if target.startswith("sqlite:///") else target
    if "://" not in path and not Path(path).exists():
        raise StoreMissing(
            f"no store at {path}: nothing has been synced there "
            "(name the store with --db, RIS_DB, or db in the sources file given by --config or RIS_CONFIG)"
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
