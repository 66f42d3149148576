"""The conformance report of ``ris-connector check``: what an endpoint serves and where it deviates."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from ris_connector.check.conformance import ListStats, Walk
from ris_connector.notices.oparl import OPARL_VENDOR

#: Our problem classes -> the problem kind oparl-validator-rs reports for the same finding.
VALIDATOR_KINDS = {
    "required-field-missing": "RequiredFieldMissing",
    "empty-string": "EmptyString",
    "http-id": "UsingHttp",
    "list-schema-mismatch": "InvalidJson",
    "request-retried": "HttpRequestFailedRetrying",
    "request-failed": "HttpRequestFailedTooOften",
    "object-missing": "ObjectMissing",
    "object-not-in-list": "ObjectNotInList",
}

#: What each class means, for the reader at the vendor.
EXPLAIN = {
    "required-field-missing": "a field the OParl specification requires is absent or null",
    "empty-string": 'a text field is given as "" (omit it or give null instead)',
    "http-id": "the object's id uses unencrypted http:",
    "list-schema-mismatch": "a list page whose JSON has a value of the wrong type; its objects cannot be read by "
    "strict clients",
    "request-retried": "a request failed and had to be repeated",
    "request-failed": "a request failed three times; the rest of that list could not be read",
    "object-missing": "an object is referenced but is in no list and cannot be fetched",
    "object-not-in-list": "an object is referenced and can be fetched, but is missing from the external lists",
}


@dataclass(frozen=True)
class FilterProbe:
    """How one list answered ``modified_since``."""

    list: str
    url: str
    total: int | None
    """Objects of the unfiltered list (``totalElements`` or counted)."""
    recent: int | None
    """Objects modified in the last day, as the server answered."""
    future: int | None
    """Objects modified after tomorrow (must be 0)."""
    verdict: str
    """``honoured``, ``ignored``, ``error: ...`` or ``cannot tell (...)``."""


@dataclass
class CheckReport:
    """Everything a check found."""

    url: str
    kind: str  # oparl | ics
    checked_at: str
    duration_s: float = 0.0
    walk: Walk | None = None
    sync: dict[str, Any] = field(default_factory=dict)
    """The run report of the sync into a temporary store (counts, notices, requests)."""
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    filters: list[FilterProbe] = field(default_factory=list)
    list_links: list[str] = field(default_factory=list)
    """Referenced URLs that answer with a list page (e.g. ``Organization.meeting``)."""
    system: dict[str, Any] = field(default_factory=dict)
    feed: dict[str, Any] = field(default_factory=dict)
    """iCalendar: content type, bytes, seconds of the feed request."""

    @property
    def notices(self) -> list[dict[str, Any]]:
        """The sync's notices (quirk codes with count and example), vendor profile first."""
        return sorted(self.sync.get("warnings") or [], key=lambda w: (w.get("code") != OPARL_VENDOR, w.get("code")))

    @property
    def problem_counts(self) -> dict[tuple[str, str], int]:
        return self.walk.counts() if self.walk else {}

    def validator_counts(self) -> dict[str, int]:
        """Totals per oparl-validator-rs problem kind (``ObjectMissing(Person)`` etc.)."""
        out: dict[str, int] = {}
        for (cls, path), n in self.problem_counts.items():
            kind = VALIDATOR_KINDS[cls]
            if cls in ("object-missing", "object-not-in-list"):
                kind = f"{kind}({path})"
            out[kind] = out.get(kind, 0) + n
        return dict(sorted(out.items()))

    def problem_total(self) -> int:
        return sum(self.problem_counts.values()) + len(self.quarantine)


def timing(stats: ListStats) -> dict[str, float]:
    """Median, 95th percentile and maximum seconds of a list's page requests."""
    values = sorted(stats.seconds)
    if not values:
        return {}
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return {"median": statistics.median(values), "p95": p95, "max": values[-1]}
