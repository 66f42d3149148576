"""``ris-connector status``: freshness per source, for cron jobs and monitoring.

Shows per source the last complete run, its age and the failed runs since. Exit status 3
when a source is staler than ``--max-age`` (or never completed); else 4 when a source's last
complete run was ``degraded`` (it read the whole source but quarantined more than
``max_quarantine_fraction`` of a type, see docs/health.md); 0 when all are fresh and healthy.
With ``--config`` it lists every source of the file (a Celery fleet), synced or not, each
stale after its own ``interval`` plus two hours, and shows the fleet's counters: tasks that
found the source locked by another worker, duplicate deliveries, tasks that gave up.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from ris_connector.celery.settings import FleetSettings
from ris_connector.cli.common import EXIT_DEGRADED, EXIT_INCOMPLETE, EXIT_OK, add_db_argument, open_db, print_json
from ris_connector.config import load_config, parse_duration
from ris_connector.errors import ConfigError, StoreMissing
from ris_connector.health import DEFAULT_MAX_AGE, INTERVAL_SLACK, SourceStatus, source_status
from ris_connector.health import format_age as _age

__all__ = ["SourceStatus", "register", "run", "source_status"]


def register(sub: Any) -> None:
    """Add the sub-command."""
    p = sub.add_parser(
        "status",
        help="per source: last complete run, its age, failures since; exit 3 if one is stale, 4 if one is degraded",
    )
    add_db_argument(p)
    p.add_argument(
        "--max-age",
        default=None,
        metavar="AGE",
        help=f"a source whose last complete run is older is stale (default {DEFAULT_MAX_AGE}, with --config "
        "each source's interval + 2h; e.g. 90m, 26h, 2d)",
    )
    p.add_argument("--config", metavar="FILE", help="every source of this file (the fleet), synced or not")
    p.add_argument("--source", action="append", help="only this source (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the status table (or JSON); exit 3 if a source is stale or none has run, else 4 if
    one is degraded."""
    try:
        max_age = parse_duration(args.max_age or DEFAULT_MAX_AGE)
    except ValueError as exc:
        raise ConfigError(f"--max-age: {exc}") from None
    limits: dict[str, float] = {}
    db_fallback = None
    config = args.config or FleetSettings.from_env().config  # the workers' RIS_CONFIG
    if config:
        file = load_config(config)
        db_fallback = file.db
        limits = {s.name: max_age if args.max_age else s.interval + INTERVAL_SLACK for s in file.sources}
    now = datetime.now(timezone.utc)
    missing = False
    try:
        store = open_db(args, db_fallback)
    except StoreMissing as exc:  # nothing synced yet: say so, and every configured source is stale
        print(f"ris-connector: {exc}", file=sys.stderr)
        missing = True
        statuses = [_never(name, limits.get(name, max_age)) for name in args.source or sorted(limits)]
    else:
        try:
            names = args.source or sorted(set(limits) | set(store.sources()))
            statuses = [source_status(store, name, now=now, max_age=limits.get(name, max_age)) for name in names]
        finally:
            store.close()
    stale = [s.source for s in statuses if s.stale]
    degraded = [s.source for s in statuses if s.degraded]
    if args.json:
        print_json(
            {
                "checked_at": now.isoformat(timespec="seconds"),
                "max_age_s": max_age,
                "stale": stale,
                "degraded": degraded,
                "sources": [asdict(s) for s in statuses],
            }
        )
    else:
        if not statuses and not missing:  # a missing store was named on stderr already
            print("no sync runs recorded in this database")
        for s in statuses:
            flag = "STALE" if s.stale else "DEGRADED" if s.degraded else "ok"
            fleet = f" locked {s.locked} duplicates {s.duplicates} gave up {s.gave_up}" if limits else ""
            print(
                f"{s.source:<20} {flag:<8} last complete {s.last_complete or 'never':<25} age {_age(s.age_s):<7} "
                f"failures since {s.failures_since:<3} last run {s.last_status}{fleet}"
            )
            if s.degraded and (s.degraded_types or not s.conflicts_with):
                print(f"{'':<20}   degraded: too much quarantined of {', '.join(s.degraded_types) or '?'}")
            if s.degraded and s.conflicts_with:
                print(f"{'':<20}   degraded: ids held by source {', '.join(s.conflicts_with)} (id-conflict)")
            for error in s.last_errors[:3]:
                print(f"{'':<20}   error: {error}")
    if stale or not statuses:
        return EXIT_INCOMPLETE
    return EXIT_DEGRADED if degraded else EXIT_OK


def _never(source: str, max_age: float) -> SourceStatus:
    """A configured source of a fleet whose store does not exist yet."""
    return SourceStatus(source, None, None, 0, "never", [], True, max_age)
