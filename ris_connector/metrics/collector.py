"""Prometheus metrics of a fleet, derived from the store at every scrape.

Nothing is counted in process memory: the runs table (with each run's report), the record
counts, the change feed and the fleet ledger are the truth, so a CLI sync, any Celery worker
and ``serve`` export the same numbers, and a restarted process loses nothing. Counters
(``*_total``) are sums over every finished run the store holds; they only grow while runs are
kept (removing old runs looks like a counter reset to Prometheus, which ``rate`` tolerates).

Labels: ``source``; ``type`` (record type); ``kind`` (created, updated, unchanged, deleted,
quarantined; for fleet tasks locked, duplicates, gave_up); ``class`` (exception class of an
error); ``status`` (a run status or a health; any string, so new statuses need no change here).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from ris_connector.config import parse_duration
from ris_connector.health import DEFAULT_MAX_AGE, HEALTHS, RUN_HEALTH, health, source_status
from ris_connector.store import RunInfo, Store
from ris_connector.sync.report import COUNT_KINDS

PREFIX = "ris_connector_"
#: Run statuses always exported (0 or 1) for ``last_run_status``, so alert rules can name them;
#: any other status a run has is exported too.
KNOWN_STATUSES = ("complete", "degraded", "incomplete", "failed", "aborted", "running")
_PAGE = 200
_UNKNOWN_CLASS = "unknown"


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    when = datetime.fromisoformat(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


@dataclass
class _Totals:
    """Sums over the finished runs of one source, up to run ``upto`` (runs of a source are sequential)."""

    upto: int = 0
    runs: Counter[str] = field(default_factory=Counter)
    records: Counter[tuple[str, str]] = field(default_factory=Counter)
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    durations: int = 0
    duration_sum: float = 0.0

    def add(self, run: RunInfo) -> None:
        report = run.report or {}
        self.runs[run.status] += 1
        for type_name, counts in (report.get("counts") or {}).items():
            for kind in COUNT_KINDS:
                self.records[(str(type_name), kind)] += int(counts.get(kind, 0) or 0)
        self.requests += int(report.get("requests", 0) or 0)
        self.retries += int(report.get("retries", 0) or 0)
        self.bytes += int(report.get("bytes", 0) or 0)
        for cls in error_classes(report):
            self.errors[cls] += 1
        if run.finished is not None and "duration_s" in report:
            self.durations += 1
            self.duration_sum += float(report["duration_s"])


def error_classes(report: Mapping[str, Any]) -> list[str]:
    """The class of each error of a run report (``unknown`` where the report predates classes)."""
    errors = list(report.get("errors") or [])
    classes = [str(c) for c in report.get("error_classes") or []]
    return classes[: len(errors)] + [_UNKNOWN_CLASS] * (len(errors) - len(classes))


class StoreCollector(Collector):
    """A prometheus_client collector reading one store.

    ``store`` is an open store, or a function opening one (the store is then opened for each
    scrape and closed after it: a Celery worker's endpoint holds no connection). ``sources``
    restricts the export (a CLI sync writes only its own sources to its textfile); ``max_age``
    gives a source's staleness limit (a fleet: its interval plus slack), else ``default_max_age``.
    Safe to scrape from several threads.
    """

    def __init__(
        self,
        store: Store | Callable[[], Store],
        *,
        sources: Iterable[str] | None = None,
        max_age: Mapping[str, float] | None = None,
        default_max_age: float | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._sources = sorted(set(sources)) if sources is not None else None
        self._max_age = dict(max_age or {})
        self._default_max_age = default_max_age if default_max_age is not None else parse_duration(DEFAULT_MAX_AGE)
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()
        self._totals: dict[str, _Totals] = {}
        self._counts: tuple[int, dict[tuple[str, str], int]] | None = None

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: describing would read the store when the collector is registered."""
        return []

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if callable(self._store):
                store = self._store()
                try:
                    return list(self._collect(store))
                finally:
                    store.close()
            return list(self._collect(self._store))

    # --- reading the store ---------------------------------------------------------------
    def _names(self, store: Store) -> list[str]:
        if self._sources is not None:
            return self._sources
        return sorted(set(store.sources()) | set(self._max_age))

    def _record_counts(self, store: Store) -> dict[tuple[str, str], int]:
        """Live records per (source, type); recounted only when the change feed moved."""
        newest = store.recent_changes(limit=1)
        seq = newest[0].seq if newest else 0
        if self._counts is None or self._counts[0] != seq:
            self._counts = (seq, store.record_counts())
        return self._counts[1]

    def _new_runs(self, store: Store, source: str, upto: int) -> list[RunInfo]:
        """Runs of ``source`` after run ``upto``, oldest first."""
        limit = _PAGE
        while True:
            runs = store.runs(source, limit=limit)
            if len(runs) < limit or runs[-1].run_id <= upto:
                return [r for r in reversed(runs) if r.run_id > upto]
            limit *= 4

    def _totals_of(self, store: Store, source: str) -> _Totals:
        totals = self._totals.setdefault(source, _Totals())
        for run in self._new_runs(store, source, totals.upto):
            if run.status == "running":
                break  # counted once it ended; runs of one source follow each other
            totals.add(run)
            totals.upto = run.run_id
        return totals

    def _collect(self, store: Store) -> Iterator[Metric]:
        names = self._names(store)
        now = self._now()
        f = _Families()
        counts = self._record_counts(store)
        for (source, type_name), n in sorted(counts.items()):
            if source in names:
                f.records.add_metric([source, type_name], n)
        for source in names:
            limit = self._max_age.get(source, self._default_max_age)
            status = source_status(store, source, now=now, max_age=limit)
            f.max_age.add_metric([source], limit)
            f.failures.add_metric([source], status.failures_since)
            current = health(status)
            for h in sorted({*HEALTHS, current}):
                f.health.add_metric([source, h], 1.0 if h == current else 0.0)
            for kind in ("locked", "duplicates", "gave_up"):
                f.fleet.add_metric([source, kind], getattr(status, kind))
            complete = store.last_complete_run(source)
            if complete is not None:
                finished = _epoch(complete.finished or complete.started)
                if finished is not None:
                    f.complete_at.add_metric([source], finished)
                f.complete_duration.add_metric([source], float((complete.report or {}).get("duration_s", 0.0)))
            recent = store.runs(source, limit=2)
            if recent:
                started = _epoch(recent[0].started)
                if started is not None:
                    f.last_at.add_metric([source], started)
                statuses = {*KNOWN_STATUSES, *RUN_HEALTH, recent[0].status}
                for s in sorted(statuses):
                    f.last_status.add_metric([source, s], 1.0 if s == recent[0].status else 0.0)
            ended = next((r for r in recent if r.status != "running" and r.report), None)
            if ended is not None:
                report = ended.report or {}
                for type_name, per_kind in sorted((report.get("counts") or {}).items()):
                    for kind in COUNT_KINDS:
                        f.last_records.add_metric([source, type_name, kind], int(per_kind.get(kind, 0) or 0))
                f.last_missing.add_metric([source], int(report.get("missing_references", 0) or 0))
                warnings = sum(int(w.get("count", 0) or 0) for w in report.get("warnings") or [])
                f.last_warnings.add_metric([source], warnings)
            totals = self._totals_of(store, source)
            for s, n in sorted(totals.runs.items()):
                f.runs.add_metric([source, s], n)
            for (type_name, kind), n in sorted(totals.records.items()):
                f.run_records.add_metric([source, type_name, kind], n)
            f.requests.add_metric([source], totals.requests)
            f.retries.add_metric([source], totals.retries)
            f.bytes.add_metric([source], totals.bytes)
            for cls, n in sorted(totals.errors.items()):
                f.errors.add_metric([source, cls], n)
            f.duration.add_metric([source], count_value=totals.durations, sum_value=totals.duration_sum)
        yield from f.all()


class _Families:
    """The metric families of one scrape (see docs/monitoring.md for each)."""

    def __init__(self) -> None:
        p = PREFIX
        self.complete_at = GaugeMetricFamily(
            p + "last_complete_run_timestamp_seconds",
            "When the newest complete run of the source finished (Unix time).",
            labels=["source"],
        )
        self.complete_duration = GaugeMetricFamily(
            p + "last_complete_run_duration_seconds", "How long the newest complete run took.", labels=["source"]
        )
        self.last_at = GaugeMetricFamily(
            p + "last_run_timestamp_seconds", "When the newest run (of any outcome) started.", labels=["source"]
        )
        self.last_status = GaugeMetricFamily(
            p + "last_run_status", "1 for the status of the newest run, 0 for the others.", labels=["source", "status"]
        )
        self.health = GaugeMetricFamily(
            p + "source_health",
            "1 for the source's health (ok, degraded, stale, incomplete, failed, or a run status), 0 otherwise.",
            labels=["source", "status"],
        )
        self.max_age = GaugeMetricFamily(
            p + "source_max_age_seconds", "Age after which the source counts as stale.", labels=["source"]
        )
        self.failures = GaugeMetricFamily(
            p + "runs_failed_since_complete",
            "Runs after the newest complete one that ended incomplete, failed or were killed.",
            labels=["source"],
        )
        self.records = GaugeMetricFamily(
            p + "records", "Records held in the store (not deleted).", labels=["source", "type"]
        )
        self.last_records = GaugeMetricFamily(
            p + "last_run_records",
            "Records of the newest finished run: created, updated, unchanged, deleted, quarantined.",
            labels=["source", "type", "kind"],
        )
        self.last_missing = GaugeMetricFamily(
            p + "last_run_missing_references",
            "References the newest finished run could not resolve.",
            labels=["source"],
        )
        self.last_warnings = GaugeMetricFamily(
            p + "last_run_warnings", "Notices (tolerated deviations) of the newest finished run.", labels=["source"]
        )
        self.runs = CounterMetricFamily(p + "runs", "Finished runs by status.", labels=["source", "status"])
        self.run_records = CounterMetricFamily(
            p + "run_records",
            "Records over all finished runs: created, updated, unchanged, deleted, quarantined.",
            labels=["source", "type", "kind"],
        )
        self.requests = CounterMetricFamily(p + "requests", "HTTP requests sent (retries included).", labels=["source"])
        self.retries = CounterMetricFamily(p + "retries", "HTTP requests retried.", labels=["source"])
        self.bytes = CounterMetricFamily(p + "received_bytes", "Response body bytes received.", labels=["source"])
        self.errors = CounterMetricFamily(
            p + "errors", "Errors that ended a run, by exception class.", labels=["source", "class"]
        )
        self.fleet = CounterMetricFamily(
            p + "fleet_tasks",
            "Celery tasks that found the source locked, were duplicate deliveries, or gave up.",
            labels=["source", "kind"],
        )
        self.duration = SummaryMetricFamily(p + "run_duration_seconds", "Duration of finished runs.", labels=["source"])

    def all(self) -> Iterator[Metric]:
        yield from (value for value in vars(self).values() if isinstance(value, Metric))
