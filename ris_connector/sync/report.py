"""The run report: what a sync did, as the CLI prints it and the store keeps it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ris_connector.logsafe import safe_text
from ris_connector.store.base import READ_WHOLE_SOURCE

COUNT_KINDS = ("created", "updated", "unchanged", "deleted", "quarantined")
_READ = ("created", "updated", "unchanged", "quarantined")


@dataclass
class RunReport:
    """Counts per type, requests, warnings and the outcome of one run of one source."""

    source: str
    adapter: str
    full: bool
    started: str
    run_id: int | None = None
    finished: str | None = None
    duration_s: float = 0.0
    status: str = "running"  # complete | degraded | incomplete | failed (| locked, from the CLI)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    warnings: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_classes: list[str] = field(default_factory=list)
    """The exception class of each entry of ``errors`` (``ServerError``, ``InvalidPayload`` ...),
    for monitoring that counts errors by class."""
    missing_references: int = 0
    control_characters_removed: int = 0
    references: str = ""
    """How the run settled references no list delivered: ``resolved`` (all fetched or recorded
    missing), ``unchanged`` (nothing written since a run that resolved them, so not looked for),
    ``limit`` (``max_individual_fetches`` reached); empty if the run ended before."""
    max_quarantine_fraction: float = 0.05
    """Above this share of a type quarantined, a run that read the whole source is ``degraded``."""
    stored: dict[str, int] = field(default_factory=dict)
    """Live records per type the source holds after an incremental run that quarantined something:
    the share is then measured against them, so one bad record among three read is no alarm."""
    withheld_deletes: list[dict[str, Any]] = field(default_factory=list)
    """Lists (per type) whose shrinking kept absent records from being deleted: list, type,
    last size, size now, absent records kept."""
    id_conflicts: dict[str, int] = field(default_factory=dict)
    """Source -> how many ids this run delivered that that other source already holds (not
    overwritten; a run with any is ``degraded``)."""

    def count(self, type_name: str, kind: str, n: int = 1) -> None:
        """Add ``n`` to the ``kind`` count of ``type_name``."""
        counts = self.counts.get(type_name)
        if counts is None:  # not setdefault: that builds a Counter on every call
            counts = self.counts[type_name] = Counter()
        counts[kind] += n

    def warn(self, code: str, message: str, count: int = 1) -> None:
        """Count a warning; the first message of each code is kept as an example (escaped, clipped)."""
        entry = self.warnings.get(code)
        if entry is None:
            entry = self.warnings[code] = {"code": code, "count": 0, "example": safe_text(message)}
        entry["count"] += count

    @property
    def complete(self) -> bool:
        """Whether the run read the whole source (``complete`` or ``degraded``)."""
        return self.status in READ_WHOLE_SOURCE

    @property
    def degraded(self) -> bool:
        """Whether the run read the whole source but quarantined too much of a type, or met ids
        another source holds."""
        return self.status == "degraded"

    def quarantine_share(self) -> dict[str, float]:
        """Per type the share quarantined (0 to 1): of the records read, or of the records the
        source holds when more (``stored``, set after incremental runs).

        Rejections without a type (``unknown``) are measured against every record.
        """
        shares: dict[str, float] = {}
        everything = max(sum(self.total(k) for k in _READ), sum(self.stored.values()) + self.total("quarantined"))
        for type_name, c in sorted(self.counts.items()):
            read = sum(c[k] for k in _READ)
            held = self.stored.get(type_name, 0) + c["quarantined"]
            whole = everything if type_name == "unknown" else max(read, held)
            shares[type_name] = round(c["quarantined"] / whole, 4) if whole else 0.0
        return shares

    def degraded_types(self) -> list[str]:
        """Types whose quarantined share is above ``max_quarantine_fraction``."""
        limit = self.max_quarantine_fraction
        return [t for t, share in self.quarantine_share().items() if share > limit]

    def total(self, kind: str) -> int:
        """Sum of one count over all types."""
        return sum(c[kind] for c in self.counts.values())

    def to_json_dict(self) -> dict[str, Any]:
        """The report as one JSON object (the ``--json`` output)."""
        return {
            "source": self.source,
            "adapter": self.adapter,
            "run_id": self.run_id,
            "status": self.status,
            "full": self.full,
            "started": self.started,
            "finished": self.finished,
            "duration_s": round(self.duration_s, 3),
            "counts": {t: {k: int(c[k]) for k in COUNT_KINDS} for t, c in sorted(self.counts.items())},
            "totals": {k: self.total(k) for k in COUNT_KINDS},
            "requests": self.requests,
            "retries": self.retries,
            "bytes": self.bytes_received,
            "missing_references": self.missing_references,
            "references": self.references,
            "control_characters_removed": self.control_characters_removed,
            "quarantine_share": self.quarantine_share(),
            "max_quarantine_fraction": self.max_quarantine_fraction,
            "stored": dict(sorted(self.stored.items())),
            "degraded_types": self.degraded_types(),
            "withheld_deletes": list(self.withheld_deletes),
            "id_conflicts": [{"owner": k, "count": v} for k, v in sorted(self.id_conflicts.items())],
            "warnings": sorted(self.warnings.values(), key=lambda w: str(w["code"])),
            "errors": list(self.errors),
            "error_classes": list(self.error_classes),
        }

    def summary(self) -> str:
        """A few human-readable lines for the terminal."""
        head = f"{self.source}: {self.status} ({'full' if self.full else 'incremental'}) in {self.duration_s:.1f}s"
        totals = ", ".join(f"{k} {self.total(k)}" for k in COUNT_KINDS)
        lines = [head, f"  {totals}", f"  requests {self.requests}, retries {self.retries}"]
        for t, c in sorted(self.counts.items()):
            lines.append("    " + f"{t:<16}" + " ".join(f"{k}={c[k]}" for k in COUNT_KINDS if c[k]))
        shares = self.quarantine_share()
        limit = self.max_quarantine_fraction
        for t in self.degraded_types():
            lines.append(f"  degraded: {shares[t]:.1%} of {t} quarantined (max_quarantine_fraction {limit})")
        for owner, n in sorted(self.id_conflicts.items()):
            lines.append(
                f"  degraded: {n} id(s) already held by source {owner!r}; source {self.source!r} did not "
                "overwrite them (id-conflict)"
            )
        for w in self.withheld_deletes:
            lines.append(
                f"  deletes withheld: list {w['list']} has {w['now']} {w['type']} (last {w['last']}); "
                f"{w['absent']} absent {w['type']} kept"
            )
        for w in sorted(self.warnings.values(), key=lambda w: str(w["code"])):
            lines.append(f"  warning {w['code']} x{w['count']}: {w['example']}")
        lines.extend(f"  error: {e}" for e in self.errors)
        return "\n".join(lines)


def overall_status(reports: list[RunReport]) -> str:
    """The outcome of several sources' runs: ``incomplete`` if one was not read whole (a failure
    wins), else ``degraded`` if one quarantined too much, else ``complete``."""
    if not all(r.complete for r in reports):
        return "incomplete"
    return "degraded" if any(r.degraded for r in reports) else "complete"


def combined(reports: list[RunReport]) -> dict[str, Any]:
    """One JSON object for several sources' runs: the totals, then each source's report."""
    counts: dict[str, Counter[str]] = {}
    for r in reports:
        for t, c in r.counts.items():
            counts.setdefault(t, Counter()).update(c)
    warnings: dict[str, dict[str, Any]] = {}
    for r in reports:
        for code, w in r.warnings.items():
            entry = warnings.setdefault(code, {"code": code, "count": 0, "example": w["example"]})
            entry["count"] += w["count"]
    return {
        "status": overall_status(reports),
        "degraded": [r.source for r in reports if r.degraded],
        "counts": {t: {k: int(c[k]) for k in COUNT_KINDS} for t, c in sorted(counts.items())},
        "requests": sum(r.requests for r in reports),
        "retries": sum(r.retries for r in reports),
        "warnings": sorted(warnings.values(), key=lambda w: str(w["code"])),
        "duration_s": round(sum(r.duration_s for r in reports), 3),
        "sources": [r.to_json_dict() for r in reports],
    }
