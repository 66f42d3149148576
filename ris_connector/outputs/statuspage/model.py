"""What the status page shows, read from the store through the health model (:mod:`ris_connector.health`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ris_connector.health import SourceStatus, health, source_status
from ris_connector.store import ChangeEvent, RunInfo, Store
from ris_connector.sync.report import COUNT_KINDS

#: Rows shown at most per table (the page stays small whatever the store holds).
MAX_RUNS = 50
MAX_CHANGES = 30
MAX_QUARANTINE = 200


@dataclass(frozen=True)
class SourceView:
    """One source on the overview."""

    status: SourceStatus
    health: str
    records: int
    last_run: RunInfo | None
    """The newest run that ended with a report (None if none did)."""

    @property
    def name(self) -> str:
        return self.status.source

    @property
    def totals(self) -> dict[str, int]:
        """created/updated/unchanged/deleted/quarantined of ``last_run``."""
        return run_totals(self.last_run)

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return list((self.last_run.report or {}).get("warnings") or []) if self.last_run else []


@dataclass(frozen=True)
class SourceDetail:
    """One source's page: its overview row, the last run's details, changes and history."""

    view: SourceView
    runs: list[RunInfo]
    changes: list[ChangeEvent]
    quarantine: list[dict[str, Any]]
    """Quarantined records of ``view.last_run`` (reason, type, ref, qid; without payload)."""
    quarantine_total: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per type: the last run's counts."""


def run_totals(run: RunInfo | None) -> dict[str, int]:
    """The report's totals of ``run`` (summed from its per-type counts where no totals are kept)."""
    report = (run.report or {}) if run else {}
    totals = report.get("totals")
    if isinstance(totals, Mapping):
        return {k: int(totals.get(k, 0) or 0) for k in COUNT_KINDS}
    counts = report.get("counts") or {}
    return {k: sum(int(c.get(k, 0) or 0) for c in counts.values()) for k in COUNT_KINDS}


def _last_ended(store: Store, source: str) -> RunInfo | None:
    return next((r for r in store.runs(source, limit=5) if r.status != "running" and r.report is not None), None)


def source_view(
    store: Store, source: str, *, now: datetime, max_age: float, records: Mapping[tuple[str, str], int]
) -> SourceView:
    """The overview row of ``source``."""
    status = source_status(store, source, now=now, max_age=max_age)
    held = sum(n for (src, _), n in records.items() if src == source)
    return SourceView(status, health(status), held, _last_ended(store, source))


def overview(store: Store, *, now: datetime, max_age: float, limits: Mapping[str, float]) -> list[SourceView]:
    """Every source of the store (and of ``limits``, a fleet's sources with their own max age)."""
    records = store.record_counts()
    names = sorted(set(store.sources()) | set(limits))
    return [source_view(store, name, now=now, max_age=limits.get(name, max_age), records=records) for name in names]


def source_detail(store: Store, source: str, *, now: datetime, max_age: float) -> SourceDetail | None:
    """The page of ``source`` (None if the store knows no run of it)."""
    runs = store.runs(source, limit=MAX_RUNS)
    if not runs:
        return None
    view = source_view(store, source, now=now, max_age=max_age, records=store.record_counts())
    rows: list[dict[str, Any]] = []
    total = 0
    if view.last_run is not None:
        run_id = view.last_run.run_id
        for row in store.quarantined(source):
            if row.get("run_id") == run_id:
                total += 1
                if len(rows) < MAX_QUARANTINE:
                    rows.append({k: v for k, v in row.items() if k != "raw"})
    report = (view.last_run.report or {}) if view.last_run else {}
    counts = {
        str(t): {k: int(c.get(k, 0) or 0) for k in COUNT_KINDS} for t, c in sorted((report.get("counts") or {}).items())
    }
    changes = store.recent_changes(source=source, limit=MAX_CHANGES)
    return SourceDetail(view, runs, changes, rows, total, counts)


def quarantined_payload(store: Store, source: str, qid: int) -> dict[str, Any] | None:
    """One quarantined record of ``source`` with its raw payload."""
    return next((row for row in store.quarantined(source) if row.get("qid") == qid), None)
