"""Feeds that show a window of time: what left the window is kept, what vanished inside it is deleted.

Real ALLRIS 4 feeds (Iserlohn, tests/fixtures/real/iserlohn-allris-ics) drop meetings some weeks
after they were held, and recurrences are read from ``recurrence_past`` on: neither is news. A
meeting that vanishes from inside the window (one of the future, or a past one the feed still
covers) was removed, and is deleted. Runs are at the feed's own export time (a FixedClock).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport
from ris_connector.sync.engine import run_source
from tests.support.ics_server import IcsServer

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "iserlohn-allris-ics"
PATH = "/public/ics/SiKalAbo.ics"
EXPORTED = datetime(2025, 11, 5, 5, 12, 35, tzinfo=timezone.utc)  # DTSTAMP of the 2025-11-05 versions


def _without(feed: str, uid: str) -> str:
    """The feed with the VEVENT of ``uid`` cut out (the rest byte for byte)."""
    start = feed.index(f"BEGIN:VEVENT\r\nUID:{uid}\r\n")
    end = feed.index("END:VEVENT\r\n", start) + len("END:VEVENT\r\n")
    return feed[:start] + feed[end:]


def _runs(
    tmp_path: Path, feeds: list[tuple[str, datetime]], **options: object
) -> tuple[list[RunReport], Counter[tuple[str, str]], SQLiteStore]:
    """Sync each (feed, time) in order; the reports after the first and the change-feed events
    they made."""
    store = SQLiteStore(tmp_path / "ris.db")
    reports = []
    with IcsServer() as server:
        config = source_from_mapping({"name": "iserlohn", "adapter": "ics", "url": server.url(PATH), **options})
        for feed, at in feeds:
            server.put(PATH, feed.encode("utf-8"))
            reports.append(run_source(config, store, clock=FixedClock(at)))
            if len(reports) == 1:
                assert reports[0].status == "complete"
                seq = max(e.seq for e in store.changes())
    return reports[1:], Counter((e.kind, e.type) for e in store.changes(after=seq)), store


def _two_runs(
    tmp_path: Path, first: str, second: str, at: datetime, later: datetime | None = None, **options: object
) -> tuple[RunReport, Counter[tuple[str, str]], SQLiteStore]:
    reports, events, store = _runs(tmp_path, [(first, at), (second, later or at)], **options)
    return reports[0], events, store


def test_a_future_meeting_removed_from_the_real_feed_is_deleted(tmp_path: Path) -> None:
    feed = (REAL / "rat" / "2025-11-05.ics").read_bytes().decode("utf-8")
    report, events, store = _two_runs(tmp_path, feed, _without(feed, "ALLRIS-Sitzung-2002430"), EXPORTED)
    with store:
        assert events[("deleted", "Meeting")] == 1  # 2026-07-14, inside the window: removed, news
        assert "left-window" not in report.warnings
        assert store.get("urn:ris:iserlohn:Meeting:ALLRIS-Sitzung-2002430").deleted


def test_a_past_meeting_inside_the_window_removed_is_deleted(tmp_path: Path) -> None:
    feed = (REAL / "alle" / "2025-11-05.ics").read_bytes().decode("utf-8")
    # 2025-10-30 lies between the feed's earliest meeting (2025-09-09) and the export: covered.
    report, events, store = _two_runs(tmp_path, feed, _without(feed, "ALLRIS-Sitzung-2002286"), EXPORTED)
    with store:
        assert events[("deleted", "Meeting")] == 1, events
        assert "left-window" not in report.warnings


def test_meetings_that_left_the_window_are_kept_with_their_location(tmp_path: Path) -> None:
    old = (REAL / "alle" / "2025-10-11.ics").read_bytes().decode("utf-8")
    new = (REAL / "alle" / "2025-11-05.ics").read_bytes().decode("utf-8")
    report, events, store = _two_runs(tmp_path, old, new, EXPORTED - timedelta(days=25), EXPORTED)
    with store:
        assert not [e for e in events if e[0] == "deleted"], events
        assert report.warnings["left-window"]["count"] == 6  # five meetings and the room only they used
        kept = store.get("urn:ris:iserlohn:Meeting:ALLRIS-Sitzung-2001937")
        assert kept is not None and not kept.deleted
        room = store.get(kept.data["location"])
        assert room is not None and not room.deleted


def test_a_record_that_left_the_window_is_counted_once(tmp_path: Path) -> None:
    old = (REAL / "alle" / "2025-10-11.ics").read_bytes().decode("utf-8")
    new = (REAL / "alle" / "2025-11-05.ics").read_bytes().decode("utf-8")
    earlier = EXPORTED - timedelta(days=25)
    reports, events, store = _runs(tmp_path, [(old, earlier), (new, EXPORTED), (new, EXPORTED + timedelta(days=1))])
    with store:
        assert reports[0].warnings["left-window"]["count"] == 6
        assert "left-window" not in reports[1].warnings  # still kept, no longer news for the report
        assert not [e for e in events if e[0] == "deleted"], events
        assert store.live_counts("iserlohn") == {"Meeting": 43, "Location": 8}


WEEKLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Stadt//Sprechstunden//DE
BEGIN:VEVENT
UID:sprechstunde-1
DTSTAMP:20250101T000000Z
DTSTART;TZID=Europe/Berlin:20200106T100000
DTEND;TZID=Europe/Berlin:20200106T110000
RRULE:FREQ=WEEKLY
SUMMARY:Sprechstunde der Bürgermeisterin
END:VEVENT
END:VCALENDAR
"""


def test_recurrences_older_than_recurrence_past_are_kept(tmp_path: Path) -> None:
    feed = WEEKLY.replace("\n", "\r\n")
    at = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
    report, events, store = _two_runs(
        tmp_path,
        feed,
        feed,
        at,
        at + timedelta(days=28),
        kind="appointments",
        recurrence_past="30d",
        recurrence_future="30d",
    )
    with store:
        # Four weeks later four Mondays fell behind recurrence_past: read no more, not deleted.
        assert events[("deleted", "Appointment")] == 0
        assert events[("created", "Appointment")] == 4  # and four new Mondays came into view
        assert report.warnings["left-window"]["count"] == 4
