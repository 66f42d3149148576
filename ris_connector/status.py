"""Freshness of every source: last complete run, its age, failures since, the fleet's counters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ris_connector.celery.ledger import FleetCounts, TaskLedger
from ris_connector.store import Store
from ris_connector.store.base import RunInfo

#: Run states that count as a failure when they follow the last complete run.
FAILED_STATES = ("incomplete", "failed", "aborted")
_HISTORY = 200


@dataclass(frozen=True)
class SourceStatus:
    """How fresh one source is."""

    source: str
    configured: bool
    last_complete: RunInfo | None
    age_s: float | None
    """Seconds since the last complete run finished (``None``: never complete)."""
    failures: int
    """Runs that ended incomplete, failed or aborted since the last complete one (consecutive)."""
    last_error: str | None
    running: bool
    max_age_s: float | None
    fleet: FleetCounts

    @property
    def stale(self) -> bool:
        """Never complete, or older than ``max_age_s`` (when there is a threshold)."""
        if self.max_age_s is None:
            return False
        return self.age_s is None or self.age_s > self.max_age_s

    def to_json_dict(self) -> dict[str, Any]:
        """The status as ``ris-connector status --json`` prints it."""
        last = self.last_complete
        return {
            "source": self.source,
            "configured": self.configured,
            "last_complete_run": None
            if last is None
            else {"run_id": last.run_id, "started": last.started, "finished": last.finished, "full": last.full},
            "age_s": None if self.age_s is None else round(self.age_s, 1),
            "failures": self.failures,
            "last_error": self.last_error,
            "running": self.running,
            "stale": self.stale,
            "max_age_s": self.max_age_s,
            "locked": self.fleet.locked,
            "duplicates": self.fleet.duplicates,
            "gave_up": self.fleet.gave_up,
        }


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    dt = datetime.fromisoformat(ts)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def source_status(
    store: Store, source: str, *, now: datetime, max_age_s: float | None = None, configured: bool = True
) -> SourceStatus:
    """The status of ``source`` in ``store`` at ``now``."""
    runs = store.runs(source, limit=_HISTORY)
    failures = 0
    last_error: str | None = None
    running = False
    last_complete: RunInfo | None = None
    for run in runs:  # newest first
        if run.status == "complete":
            last_complete = run
            break
        if run.status == "running":
            running = running or run is runs[0]
            continue
        if run.status in FAILED_STATES:
            failures += 1
            if last_error is None:
                errors = (run.report or {}).get("errors") or []
                last_error = str(errors[-1]) if errors else run.status
    if last_complete is None and len(runs) == _HISTORY:
        last_complete = store.last_complete_run(source)
    age: float | None = None
    if last_complete is not None:
        finished = _parse(last_complete.finished) or _parse(last_complete.started)
        age = None if finished is None else max(0.0, (now - finished).total_seconds())
    return SourceStatus(
        source=source,
        configured=configured,
        last_complete=last_complete,
        age_s=age,
        failures=failures,
        last_error=last_error,
        running=running,
        max_age_s=max_age_s,
        fleet=TaskLedger(store).counts(source),
    )


def fleet_status(
    store: Store,
    configured: Mapping[str, float | None] | Iterable[str] = (),
    *,
    now: datetime | None = None,
    max_age_s: float | None = None,
) -> list[SourceStatus]:
    """Every configured source and every source with runs in ``store``, by name.

    ``configured`` maps source names to their own threshold (e.g. two intervals); ``max_age_s``
    overrides it for all sources.
    """
    when = now or datetime.now(timezone.utc)
    limits = dict(configured) if isinstance(configured, Mapping) else dict.fromkeys(configured)
    names = sorted(set(limits) | set(store.sources()))
    return [
        source_status(
            store,
            name,
            now=when,
            max_age_s=max_age_s if max_age_s is not None else limits.get(name),
            configured=name in limits,
        )
        for name in names
    ]
