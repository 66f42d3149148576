"""A feed recorded as versions over time, replayed as the daily job ran it.

Each version is synced at the time it was exported (its first DTSTAMP, a FixedClock), so that
what counts as past, and so the feed's window of time, is that of the day it was recorded, not
of the day the tests run.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ris_connector.clock import FixedClock
from ris_connector.config import SourceConfig
from ris_connector.store import SQLiteStore
from ris_connector.sync.engine import run_source
from tests.real.sources import ics_events, version_truth
from tests.support.ics_server import IcsServer

PATH = "/public/ics/SiKalAbo.ics"


def exported_at(path: Path) -> datetime:
    """When the version was exported: the first DTSTAMP of the file (UTC)."""
    stamp = next(line for line in path.read_text("utf-8").splitlines() if line.startswith("DTSTAMP"))
    return datetime.strptime(stamp.rsplit(":", 1)[1].rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo("UTC"))


def ics_versions(db: Path, versions: list[Path]) -> list[tuple[dict[str, int], dict[str, int]]]:
    """Sync each version in order, each at the time it was exported (as the daily job did);
    per version (today's change-feed events of Meetings plus the kept ``left_window`` count,
    the raw truth)."""
    out = []
    with IcsServer() as server, SQLiteStore(db) as store:
        config = SourceConfig(name="iserlohn", adapter="ics", url=server.url(PATH))
        previous: Path | None = None
        kept_before = 0
        for version in versions:
            server.put(PATH, version.read_bytes())
            seq = max((e.seq for e in store.changes()), default=0)
            report = run_source(config, store, clock=FixedClock(exported_at(version)))
            assert report.status == "complete" and report.total("quarantined") == 0, report.errors
            today = Counter(e.kind for e in store.changes(after=seq) if e.type == "Meeting")
            # Meetings stored but no longer in the feed: those kept because they left its window.
            kept = store.live_counts("iserlohn")["Meeting"] - len(ics_events(version))
            out.append(({**today, "left_window": kept - kept_before}, version_truth(previous, version)))
            assert bool(kept - kept_before) == ("left-window" in report.warnings)
            kept_before, previous = kept, version
    return out
