"""Helpers shared by the sub-commands: exit codes, JSON output, progress, store opening."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from ris_connector.store import DEFAULT_DB, Store, open_store

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
#: ``sync``: every source was read whole but at least one quarantined more than its
#: ``max_quarantine_fraction`` of a type (none failed); ``status``: such a run is a source's
#: latest complete one (none is stale). See docs/health.md.
EXIT_DEGRADED = 4


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """``--db PATH``: a SQLite file path or a ``postgresql://`` URL."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help=f"database: SQLite file or postgresql:// URL (default: {DEFAULT_DB} in the working directory)",
    )


def open_db(args: argparse.Namespace, fallback: str | None = None) -> Store:
    """The store named by ``--db`` (or ``fallback``, or the default file)."""
    return open_store(args.db or fallback or DEFAULT_DB)


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
