"""How healthy a source is: the freshness of its last complete run and the outcome of its last run.

One model for every view of a fleet: ``ris-connector status``, the status page (``/status``) and
the Prometheus metrics read it, so they always agree. It reads only the store (the ``runs``
table and the fleet ledger), so it is right whichever process ran the syncs.

Run statuses are open-ended strings: the engine writes ``complete``, ``incomplete``, ``failed``,
``degraded`` (read whole, too much quarantined), the store ``running`` and ``aborted``, the CLI
``locked``, and later versions may add more. A status this module does not know is shown as
the source's health as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ris_connector.store import RunInfo, Store
from ris_connector.store.ledger import TaskLedger

DEFAULT_MAX_AGE = "26h"  # a daily job plus two hours of slack
INTERVAL_SLACK = 2 * 3600.0  # with --config: a source is stale after its interval plus this
_FAILED = frozenset({"incomplete", "failed", "aborted", "locked"})

#: Health values, best first. A run status outside ``RUN_HEALTH`` is a health of its own.
OK, DEGRADED, STALE, INCOMPLETE, FAILED = "ok", "degraded", "stale", "incomplete", "failed"
HEALTHS = (OK, DEGRADED, STALE, INCOMPLETE, FAILED)
#: Run status -> health of the source.
RUN_HEALTH = {
    "complete": OK,
    "degraded": DEGRADED,
    "incomplete": INCOMPLETE,
    "locked": INCOMPLETE,
    "failed": FAILED,
    "aborted": FAILED,
}
_RANK = {OK: 0, DEGRADED: 1, STALE: 2, INCOMPLETE: 3, FAILED: 4}
_UNKNOWN_RANK = 1  # an unknown status (a run that ended, but not plainly complete) ranks as degraded


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
    conflicts_with: list[str] = field(default_factory=list)
    """Sources holding ids that run delivered (id conflicts also make a run degraded)."""
    locked: int = 0
    """Fleet: tasks that found the source being synced by another worker (they wait and retry)."""
    duplicates: int = 0
    """Fleet: deliveries of a task that had already run (skipped)."""
    gave_up: int = 0
    """Fleet: tasks that ended without a complete run after their last retry."""


def source_status(store: Store, source: str, *, now: datetime, max_age: float) -> SourceStatus:
    """Freshness of ``source``: stale if its last complete run is older than ``max_age`` seconds."""
    complete = store.last_complete_run(source)
    runs = _runs_since(store, source, complete.run_id if complete else None)
    failures = sum(1 for r in runs if r.status in _FAILED and (complete is None or r.run_id > complete.run_id))
    last = runs[0] if runs else None
    errors = [str(e) for e in (last.report or {}).get("errors", [])] if last else []
    fleet = TaskLedger(store).counts(source)
    when = (complete.finished or complete.started) if complete else None
    age = (now - datetime.fromisoformat(when)).total_seconds() if when else None
    degraded = complete is not None and complete.status == DEGRADED
    report = (complete.report or {}) if complete and degraded else {}
    types = [str(t) for t in report.get("degraded_types", [])]
    conflicts = [str(c.get("owner")) for c in report.get("id_conflicts", []) if isinstance(c, dict)]
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
        conflicts_with=conflicts,
        locked=fleet.locked,
        duplicates=fleet.duplicates,
        gave_up=fleet.gave_up,
    )


def _runs_since(store: Store, source: str, run_id: int | None, most: int = 1000) -> list[RunInfo]:
    """The newest runs of ``source`` back to run ``run_id`` (at most ``most``): reading a few
    reports, not a thousand, when the last complete run is recent (metrics read this per scrape)."""
    limit = 10
    while True:
        runs = store.runs(source, limit=limit)
        if len(runs) < limit or limit >= most or (run_id is not None and runs[-1].run_id <= run_id):
            return runs
        limit = min(most, limit * 10)


def format_age(seconds: float | None) -> str:
    """``3h05m``, ``2d04h`` or ``never``."""
    if seconds is None:
        return "never"
    minutes = int(max(0.0, seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return f"{days}d{hours:02d}h" if days else f"{hours}h{mins:02d}m"


def run_health(status: str) -> str:
    """The health a run of ``status`` gives its source (an unknown status is its own health)."""
    return RUN_HEALTH.get(status, status)


def health(status: SourceStatus) -> str:
    """The worse of freshness (``stale``) and the outcome of the newest finished run.

    ``ok``: fresh and the newest run complete; ``stale``: no complete run within ``max_age``
    (or never); ``incomplete``/``failed``: the newest run did not read the whole source;
    anything else (``degraded`` ...): the newest run's own status.
    """
    outcome = OK if status.last_status in ("never", "running") else run_health(status.last_status)
    freshness = STALE if status.stale else OK
    return max(outcome, freshness, key=lambda h: _RANK.get(h, _UNKNOWN_RANK))
