"""``ris-connector status``: every source with its last complete run, age and failures."""

from __future__ import annotations

import argparse
from typing import Any

from ris_connector.cli.common import EXIT_INCOMPLETE, EXIT_OK, add_db_argument, open_db, print_json
from ris_connector.config import load_config, parse_duration
from ris_connector.errors import ConfigError
from ris_connector.status import SourceStatus, fleet_status

#: Without ``--max-age``, a configured source is stale after this many of its intervals.
STALE_INTERVALS = 2


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser(
        "status",
        help="show each source's last complete run, its age and failures since; exit 3 if one is stale",
    )
    add_db_argument(p)
    p.add_argument("--config", metavar="FILE", help="list every source of this file (the fleet), synced or not")
    p.add_argument(
        "--max-age",
        metavar="DURATION",
        help=f"stale when older than this (e.g. 26h); default with --config: {STALE_INTERVALS} x its interval",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per source, one per line")
    p.set_defaults(handler=run_status)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m" if minutes else f"{int(seconds)}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def _state(s: SourceStatus) -> str:
    parts = []
    if s.running:
        parts.append("running")
    if s.stale:
        parts.append("STALE")
    if s.failures:
        parts.append(f"failing: {s.last_error}" if s.last_error else "failing")
    return ", ".join(parts) or "ok"


def run_status(args: argparse.Namespace) -> int:
    """Print the table (or JSON lines); exit 3 when a source is stale."""
    max_age = None
    if args.max_age:
        try:
            max_age = parse_duration(args.max_age)
        except ValueError as exc:
            raise ConfigError(f"--max-age: {exc}") from None
    configured: dict[str, float | None] = {}
    db_fallback = None
    if args.config:
        file = load_config(args.config)
        configured = {s.name: STALE_INTERVALS * s.interval for s in file.sources}
        db_fallback = file.db
    store = open_db(args, db_fallback)
    try:
        rows = fleet_status(store, configured, max_age_s=max_age)
    finally:
        store.close()
    if args.json:
        for row in rows:
            print_json(row.to_json_dict())
    else:
        _print_table(rows)
    return EXIT_INCOMPLETE if any(r.stale for r in rows) else EXIT_OK


def _print_table(rows: list[SourceStatus]) -> None:
    header = ("SOURCE", "LAST COMPLETE RUN", "AGE", "FAILURES", "LOCKED", "DUPLICATES", "GAVE UP", "STATE")
    table = [header]
    for r in rows:
        last = r.last_complete.finished or r.last_complete.started if r.last_complete else "never"
        table.append(
            (
                r.source,
                str(last)[:19],
                _age(r.age_s),
                str(r.failures),
                str(r.fleet.locked),
                str(r.fleet.duplicates),
                str(r.fleet.gave_up),
                _state(r),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    if not rows:
        print("no sources: nothing synced yet (pass --config to list the configured ones)")
