"""Replay of Iserlohn's ALLRIS 4 calendar feed (SiKalAbo.ics), recorded daily by a public repository.

``alle/`` holds the whole feed at two dates, ``rat/`` the council's events at six dates between
2025-10-11 and 2026-01-21 (see tests/fixtures/real/iserlohn-allris-ics/PROVENANCE.md). Every
ALLRIS event says "Exportiert am <date>" in its DESCRIPTION, so every export changes every event.
The truth per version comes from the raw files (``sources.version_truth``), not from the library.
"""

from __future__ import annotations

from pathlib import Path

from tests.real.replay import REAL, changes, last_seq, sync
from tests.real.sources import count_raw, ics_events
from tests.real.versions import ics_versions
from tests.support.ics_server import IcsServer

FEED = REAL / "iserlohn-allris-ics"
ALLE = sorted((FEED / "alle").glob("*.ics"))
RAT = sorted((FEED / "rat").glob("*.ics"))
PATH = "/public/ics/SiKalAbo.ics"


def _placeholder_ends(path: Path) -> int:
    """Events whose DTEND is 00:00 of a later day than DTSTART (ALLRIS writes it when no end is known)."""
    count = 0
    for event in ics_events(path).values():
        start = next(line.rsplit(":", 1)[1] for line in event.split("\n") if line.startswith("DTSTART"))
        end = next(line.rsplit(":", 1)[1] for line in event.split("\n") if line.startswith("DTEND"))
        count += end.endswith("T000000") and end[:8] > start[:8]
    return count


def test_whole_feed_every_event_stored_with_counted_repairs(tmp_path: Path) -> None:
    latest = ALLE[-1]
    raw = count_raw().count_ics(latest)
    assert raw["VEVENT"] == raw["distinct_UID"] == 38 and raw["distinct_LOCATION"] == 7
    with IcsServer() as server:
        server.put(PATH, latest.read_bytes())
        run = sync(tmp_path / "ris.db", "--ics", server.url(PATH), "--name", "iserlohn")
    assert run.returncode == 0 and run.report["status"] == "complete"
    assert run.counts("Meeting")["created"] == raw["VEVENT"]
    assert run.counts("Location")["created"] == raw["distinct_LOCATION"]
    assert run.report["totals"]["quarantined"] == 0
    # The recording's VTIMEZONE was rewritten by the recording script (no STANDARD/DAYLIGHT); its
    # TZID is an IANA name, so it is never needed. ALLRIS's "no end known" DTEND (next day 00:00)
    # is dropped; the empty line before every END:VEVENT is skipped and counted.
    blank = sum(1 for line in latest.read_bytes().split(b"\r\n")[:-1] if not line.strip())
    expected = {"ics-placeholder-dtend": _placeholder_ends(latest), "ics-blank-line": blank}
    assert run.warnings() == expected
    assert _placeholder_ends(latest) == 19


def test_whole_feed_second_unchanged_run_announces_nothing(tmp_path: Path) -> None:
    db = tmp_path / "ris.db"
    with IcsServer() as server:
        server.put(PATH, ALLE[-1].read_bytes())
        sync(db, "--ics", server.url(PATH), "--name", "iserlohn")
        seq = last_seq(db)
        again = sync(db, "--ics", server.url(PATH), "--name", "iserlohn")
    assert again.returncode == 0
    assert again.report["totals"]["updated"] == again.report["totals"]["created"] == 0
    assert again.report["totals"]["deleted"] == 0
    assert changes(db, seq) == []


def test_whole_feed_two_exports_creates_and_deletes_match_the_raw_feed(tmp_path: Path) -> None:
    ((_, first), (today, truth)) = ics_versions(tmp_path / "ris.db", ALLE)
    assert first["created"] == 41
    assert truth == {"created": 2, "deleted": 0, "left_window": 5, "updated": 3, "volatile_only": 33}
    assert today.get("created", 0) == truth["created"]
    # The five meetings of late August/early September left the feed's window: they were held,
    # not deleted. They stay stored and the change feed says nothing (before: five "deleted").
    assert today.get("deleted", 0) == truth["deleted"] == 0
    assert today["left_window"] == truth["left_window"] == 5


def test_whole_feed_two_exports_only_real_changes_are_updates(tmp_path: Path) -> None:
    ((_, _), (today, truth)) = ics_versions(tmp_path / "ris.db", ALLE)
    assert today.get("updated", 0) == truth["updated"] == 3


def test_council_feed_six_versions_creates_and_deletes_match_the_raw_feed(tmp_path: Path) -> None:
    runs = ics_versions(tmp_path / "ris.db", RAT)
    assert [truth for _, truth in runs] == [
        {"created": 6, "deleted": 0, "left_window": 0, "updated": 0, "volatile_only": 0},
        {"created": 1, "deleted": 0, "left_window": 0, "updated": 0, "volatile_only": 6},
        {"created": 0, "deleted": 0, "left_window": 0, "updated": 0, "volatile_only": 7},
        {"created": 0, "deleted": 0, "left_window": 0, "updated": 1, "volatile_only": 6},
        {"created": 0, "deleted": 0, "left_window": 1, "updated": 2, "volatile_only": 4},
        {"created": 2, "deleted": 0, "left_window": 1, "updated": 1, "volatile_only": 4},
    ]
    for today, truth in runs:
        assert today.get("created", 0) == truth["created"]
        assert today.get("deleted", 0) == truth["deleted"]
        assert today["left_window"] == truth["left_window"]
    # Without the volatile-text rules (before i13) every event still listed was announced as
    # updated: [0, 6, 7, 7, 6, 5]; with them only the real changes are (next test).
    assert sum(today.get("updated", 0) for today, _ in runs) == sum(truth["updated"] for _, truth in runs) == 4


def test_council_feed_six_versions_only_real_changes_are_updates(tmp_path: Path) -> None:
    runs = ics_versions(tmp_path / "ris.db", RAT)
    assert (
        [today.get("updated", 0) for today, _ in runs] == [truth["updated"] for _, truth in runs] == [0, 0, 0, 1, 2, 1]
    )
