"""Run a check: the strict walk, a full sync into a temporary store, probes; one report.

The walk (:mod:`ris_connector.check.conformance`) gives the specification's view; the sync
gives what the library knows besides (each tolerated deviation as a counted notice with its
quirk code, repairs, quarantined records, references that cannot be had); the probes ask
whether ``modified_since`` works. Nothing is kept: the store lives in a temporary directory.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ris_connector.check.conformance import ConformanceWalk
from ris_connector.check.report import CheckReport, FilterProbe
from ris_connector.config import source_from_mapping
from ris_connector.errors import SourceError
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.normalize.ids import canonical_url
from ris_connector.normalize.times import format_query_datetime
from ris_connector.store import SQLiteStore, Store
from ris_connector.sync import run_source

log = logging.getLogger(__name__)

#: A check reads one page after the other: polite to the server, and each time is one request.
CHECK_OPTIONS: dict[str, Any] = {"concurrency": 1}
#: At most this many referenced objects are fetched by themselves to tell "missing" from "not listed".
MAX_PROBES = 5000


def _sync(
    url: str, adapter: str, http: HttpSettings, tz: str, workdir: Path, options: dict[str, Any]
) -> tuple[dict[str, Any], Store]:
    store = SQLiteStore(workdir / "check.db")
    config = source_from_mapping(
        {"name": "check", "adapter": adapter, "url": url, "options": options, "http": http.model_dump(), "timezone": tz}
    )
    report = run_source(config, store, full=True)
    return report.to_json_dict(), store


def _store_facts(report: CheckReport, store: Store) -> None:
    report.records = {}
    for (_, type_name), n in sorted(store.record_counts().items()):
        report.records[type_name] = report.records.get(type_name, 0) + n
    report.quarantine = [{k: v for k, v in row.items() if k != "raw"} for row in store.quarantined()]
    report.missing = store.missing_references()


def check_url(
    url: str,
    *,
    http: HttpSettings | None = None,
    timezone_name: str = "Europe/Berlin",
    pause: float = 1.0,
    now: Callable[[], datetime] | None = None,
) -> CheckReport:
    """Check the OParl endpoint (System URL) or iCalendar feed at ``url``."""
    settings = http or HttpSettings()
    clock = now or (lambda: datetime.now(timezone.utc))
    started = time.monotonic()
    report = CheckReport(url, "oparl", clock().isoformat(timespec="seconds"))
    single = HttpClient(url, settings.model_copy(update={"max_attempts": 1}), source="check")
    try:
        if _is_calendar(single, url, report):
            report.kind = "ics"
            with tempfile.TemporaryDirectory(prefix="ris-check-") as tmp:
                report.sync, store = _sync(url, "ics", settings, timezone_name, Path(tmp), {})
                try:
                    _store_facts(report, store)
                finally:
                    store.close()
        else:
            walker = ConformanceWalk(single, pause=pause)
            report.walk = walker.run(url)
            report.system = report.walk.system or {}
            with tempfile.TemporaryDirectory(prefix="ris-check-") as tmp:
                report.sync, store = _sync(url, "oparl", settings, timezone_name, Path(tmp), CHECK_OPTIONS)
                try:
                    _store_facts(report, store)
                    _classify_unlisted(walker, store, single, url, report)
                finally:
                    store.close()
            report.filters = _probe_filters(single, report, clock())
    finally:
        single.close()
    report.duration_s = time.monotonic() - started
    return report


def _is_calendar(http: HttpClient, url: str, report: CheckReport) -> bool:
    """Whether ``url`` serves an iCalendar feed (fetched once; an OParl System is JSON)."""
    try:
        resp = http.get(url)
    except SourceError:
        return False  # the walk reports that the endpoint cannot be read
    ctype = str(resp.headers.get("content-type", "")).split(";")[0].strip().lower()
    head = resp.content[:64].lstrip(b"\xef\xbb\xbf \r\n\t").upper()
    if ctype == "text/calendar" or head.startswith(b"BEGIN:VCALENDAR"):
        report.feed = {"content_type": ctype, "bytes": len(resp.content), "seconds": round(resp.elapsed, 3)}
        return True
    return False


def _classify_unlisted(walker: ConformanceWalk, store: Store, http: HttpClient, url: str, report: CheckReport) -> None:
    """Tell objects that can be fetched from those that cannot, from what the sync learned
    (records fetched one by one, references recorded missing) and, for the rest, one GET."""
    host = urlsplit(url)
    scheme_for = {(host.hostname or "").lower(): host.scheme.lower()}
    missing = {row["id"] for row in store.missing_references()}
    probes = 0
    lists: list[str] = []

    def loads(target: str) -> bool:
        nonlocal probes
        canonical = canonical_url(target, scheme_for=scheme_for)
        if store.get(canonical) is not None or store.get(target) is not None:
            return True
        if canonical in missing or target in missing:
            return False
        if probes >= MAX_PROBES:
            return False
        probes += 1
        try:
            data = json.loads(http.get(target).content)
        except (SourceError, ValueError):
            return False
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            lists.append(target)
        return True

    walker.classify_unlisted(loads)
    report.list_links = lists


def _count(http: HttpClient, url: str, params: dict[str, str] | None) -> int | None:
    """Objects a list answers (``totalElements``, else the first page's count)."""
    resp = http.get(url, params=params)
    data = json.loads(resp.content)
    if isinstance(data, list):
        return len(data)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("the answer is no list page")
    total = (data.get("pagination") or {}).get("totalElements") if isinstance(data.get("pagination"), dict) else None
    return total if isinstance(total, int) else len(data["data"])


def _probe_filters(http: HttpClient, report: CheckReport, now: datetime) -> list[FilterProbe]:
    """Ask each list of the first Body for objects modified in the last day and after tomorrow."""
    if report.walk is None:
        return []
    out: list[FilterProbe] = []
    for stats in report.walk.lists:
        if stats.body != str((report.walk.bodies[0] if report.walk.bodies else {}).get("id")):
            continue
        total = stats.claimed_total if stats.claimed_total is not None else stats.objects
        recent = future = None
        try:
            future = _count(http, stats.url, {"modified_since": format_query_datetime(now + timedelta(days=1))})
            recent = _count(http, stats.url, {"modified_since": format_query_datetime(now - timedelta(days=1))})
        except (SourceError, ValueError) as exc:
            verdict = f"error: {exc}"
        else:
            if total == 0:
                verdict = "cannot tell (the list is empty)"
            elif future == 0:
                verdict = "honoured"
            elif future is not None and future >= total:
                verdict = "ignored (a date after tomorrow still answers every object)"
            else:
                verdict = f"unreliable (a date after tomorrow answers {future} objects)"
        out.append(FilterProbe(stats.name, stats.url, total, recent, future, verdict))
    return out
