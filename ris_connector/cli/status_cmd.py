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
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from ris_connector.celery.ledger import TaskLedger
from ris_connector.cli.common import EXIT_DEGRADED, EXIT_INCOMPLETE, EXIT_OK, add_db_argument, open_db, print_json
from ris_connector.config import load_config, parse_duration
from ris_connector.errors import ConfigError
from ris_connector.store import Store

DEFAULT_MAX_AGE = "26h"  # a daily job plus two hours of slack
INTERVAL_SLACK = 2 * 3600.0  # with --config: a source is stale after its interval plus this
_FAILED = frozenset({"incomplete", "failed", "aborted", "locked"})


@dataclass(frozen=True)
class SourceStatus:
    """The freshness of one source."""

    source: str
    last_complete: str | None
    """When the newest complete (or degraded) run finished (ISO 8601), None if none ever completed."""
    age_s: float | None
    failures_since: int
    """Runs after the last complete one that ended incomplete, failed or were killed."""
    last_status: str
    last_errors: list[str]
    stale: bool
    max_age_s: float
    running: bool = False
    """The newest run has not finished (or its process died and no run followed yet)."""
    degraded: bool = False
    """The newest complete run read the whole source but quarantined too much of a type."""
    degraded_types: list[str] = field(default_factory=list)
    """Those types (from that run's report)."""
    locked: int = 0
    """Fleet: tasks that found the source being synced by another worker (they wait and retry)."""
    duplicates: int = 0
    """Fleet: deliveries of a task that had already run (skipped)."""
    gave_up: int = 0
    """Fleet: tasks that ended without a complete run after their last retry."""


def source_status(store: Store, source: str, *, now: datetime, max_age: float) -> SourceStatus:
    """Freshness of ``source``: stale if its last complete run is older than ``max_age`` seconds."""
    runs = store.runs(source, limit=1000)
    complete = store.last_complete_run(source)
    failures = sum(1 for r in runs if r.status in _FAILED and (complete is None or r.run_id > complete.run_id))
    last = runs[0] if runs else None
    errors = [str(e) for e in (last.report or {}).get("errors", [])] if last else []
    fleet = TaskLedger(store).counts(source)
    when = (complete.finished or complete.started) if complete else None
    degraded = complete is not None and complete.status == "degraded"
    types = [str(t) for t in (complete.report or {}).get("degraded_types", [])] if degraded and complete else []
    age = (now - datetime.fromisoformat(when)).total_seconds() if when else None
    return SourceStatus(
        source=source,
        last_complete=when,
        age_s=age,
        failures_since=failures,
        last_status=last.status if last else "never",
        last_errors=errors,
        stale=age is None or age > max_age,
        max_age_s=max_age,
        running=bool(last and last.status == "running"),
        degraded=degraded,
        degraded_types=types,
        locked=fleet.locked,
        duplicates=fleet.duplicates,
        gave_up=fleet.gave_up,
    )


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    minutes = int(max(0.0, seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return f"{days}d{hours:02d}h" if days else f"{hours}h{mins:02d}m"


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
    if args.config:
        file = load_config(args.config)
        db_fallback = file.db
        limits = {s.name: max_age if args.max_age else s.interval + INTERVAL_SLACK for s in file.sources}
    now = datetime.now(timezone.utc)
    store = open_db(args, db_fallback)
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
        if not statuses:
            print("no sync runs recorded in this database")
        for s in statuses:
            flag = "STALE" if s.stale else "DEGRADED" if s.degraded else "ok"
            fleet = f" locked {s.locked} duplicates {s.duplicates} gave up {s.gave_up}" if limits else ""
            print(
                f"{s.source:<20} {flag:<8} last complete {s.last_complete or 'never':<25} age {_age(s.age_s):<7} "
                f"failures since {s.failures_since:<3} last run {s.last_status}{fleet}"
            )
            if s.degraded:
                print(f"{'':<20}   degraded: too much quarantined of {', '.join(s.degraded_types) or '?'}")
            for error in s.last_errors[:3]:
                print(f"{'':<20}   error: {error}")
    if stale or not statuses:
        return EXIT_INCOMPLETE
    return EXIT_DEGRADED if degraded else EXIT_OK
