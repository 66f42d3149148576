"""The ``ics`` adapter against a real HTTP server on 127.0.0.1 and a real SQLite file.

Feeds are in tests/fixtures/ics/ (written for these tests after the shape of ALLRIS 4's
``/public/ics/SiKalAbo.ics`` and of a Bürgerbüro booking system). The clock is fixed at
2026-06-01 so that "held" and "scheduled" do not drift with the calendar.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport, run_source
from tests.support.ics_server import IcsServer
from tests.support.ristest import FAST_HTTP, FIXTURES, ROOT

ICS = FIXTURES / "ics"
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
ALLRIS_PATH = "/public/ics/SiKalAbo.ics"


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with IcsServer() as srv:
        yield srv


def feed(name: str) -> str:
    return (ICS / name).read_text(encoding="utf-8")


def sync(url: str, store: SQLiteStore, *, name: str = "stadt", **extra: Any) -> RunReport:
    source = source_from_mapping({"name": name, "adapter": "ics", "url": url, "http": FAST_HTTP, **extra})
    return run_source(source, store, clock=FixedClock(NOW))


def records(store: SQLiteStore, type_name: str) -> dict[str, dict[str, Any]]:
    return {row.id: row.data for row in store.iter_rows(type_name=type_name)}


def counts(report: RunReport, type_name: str) -> dict[str, int]:
    return dict(report.to_json_dict()["counts"][type_name])


def warning(report: RunReport, code: str) -> dict[str, Any] | None:
    return next((w for w in report.to_json_dict()["warnings"] if w["code"] == code), None)


# --- ALLRIS 4 SiKalAbo.ics -------------------------------------------------------------------


def test_allris4_calendar_becomes_meetings_with_locations(server: IcsServer, store: SQLiteStore) -> None:
    report = sync(server.put(ALLRIS_PATH, feed("allris4_SiKalAbo.ics")), store)
    assert report.status == "complete"
    meetings = records(store, "Meeting")
    assert len(meetings) == 6
    bau = meetings["urn:ris:stadt:Meeting:ALLRIS-Sitzung-4711"]
    assert bau["name"] == "Ausschuss für Bauen, Planen und Umwelt"
    assert bau["start"] == "2026-06-10T17:00:00+02:00"
    assert "end" not in bau, "the DTEND at midnight of the next day is a placeholder"
    assert bau["web"] == "https://ris.musterstadt.de/public/si010?SILFDNR=4711"
    assert bau["description"].startswith("Öffentliche Sitzung des Ausschusses für Bauen, Planen und Umwelt.\n")
    assert bau["status"] == "scheduled"
    rat = meetings["urn:ris:stadt:Meeting:ALLRIS-Sitzung-4712"]
    assert rat["end"] == "2026-06-16T20:30:00+02:00", "a real end time is kept"
    placeholder = warning(report, "ics-placeholder-dtend")
    assert placeholder is not None and placeholder["count"] == 5
    assert meetings["urn:ris:stadt:Meeting:ALLRIS-Sitzung-4700"]["status"] == "held"

    # the same room text gives one Location record that three meetings reference
    locations = records(store, "Location")
    saal = [lid for lid, loc in locations.items() if loc["name"].startswith("Rathaus, Großer Sitzungssaal")]
    assert len(saal) == 1
    assert [m["location"] for m in meetings.values()].count(saal[0]) == 3
    assert store.missing_references() == []


@pytest.mark.parametrize(
    ("uid", "why"),
    [("4713", "STATUS:CANCELLED"), ("4714", "'entfällt' in SUMMARY"), ("4715", "'abgesagt' in SUMMARY")],
)
def test_allris4_cancellations(server: IcsServer, store: SQLiteStore, uid: str, why: str) -> None:
    sync(server.put(ALLRIS_PATH, feed("allris4_SiKalAbo.ics")), store)
    meeting = records(store, "Meeting")[f"urn:ris:stadt:Meeting:ALLRIS-Sitzung-{uid}"]
    assert meeting["status"] == "cancelled", why


def test_resync_unchanged_then_removed_event_deleted_and_moved_event_updated(
    server: IcsServer, store: SQLiteStore
) -> None:
    original = feed("allris4_SiKalAbo.ics")
    url = server.put(ALLRIS_PATH, original)
    sync(url, store)
    after_first = max((e.seq for e in store.changes()), default=0)

    # DTSTAMP differs on every request ({now}); nothing the feed says has changed
    second = sync(url, store)
    assert second.full, "a feed is a complete listing: every run is a full run"
    assert counts(second, "Meeting") == {"created": 0, "updated": 0, "unchanged": 6, "deleted": 0, "quarantined": 0}
    assert list(store.changes(after=after_first)) == []

    # 4715 vanishes from the feed, 4712 moves from 18:00 to 19:00
    start, end = original.index("BEGIN:VEVENT\nUID:ALLRIS-Sitzung-4715"), original.index("UID:ALLRIS-Sitzung-4700")
    changed = original[:start] + "BEGIN:VEVENT\n" + original[end:]
    changed = changed.replace(
        "DTSTART;TZID=Europe/Berlin:20260616T180000", "DTSTART;TZID=Europe/Berlin:20260616T190000"
    )
    server.put(ALLRIS_PATH, changed)
    third = sync(url, store)
    assert third.full
    assert counts(third, "Meeting") == {"created": 0, "updated": 1, "unchanged": 4, "deleted": 1, "quarantined": 0}
    events = {(e.kind, e.id): e for e in store.changes(after=after_first)}
    moved = events[("updated", "urn:ris:stadt:Meeting:ALLRIS-Sitzung-4712")]
    assert moved.fields == ["start"]
    assert moved.changes["start"] == ["2026-06-16T18:00:00+02:00", "2026-06-16T19:00:00+02:00"]
    assert ("deleted", "urn:ris:stadt:Meeting:ALLRIS-Sitzung-4715") in events
    assert ("deleted", "urn:ris:stadt:Location:buergerhaus-nord") in events, "its room is in no other event"
    assert store.get("urn:ris:stadt:Meeting:ALLRIS-Sitzung-4715").deleted


def test_broken_feed_is_incomplete_and_deletes_nothing(server: IcsServer, store: SQLiteStore) -> None:
    url = server.put(ALLRIS_PATH, feed("allris4_SiKalAbo.ics"))
    sync(url, store)
    server.put(ALLRIS_PATH, "<html><body>Wartungsarbeiten</body></html>", "text/html")
    report = sync(url, store)
    assert report.status == "incomplete"
    assert "not an iCalendar feed" in report.errors[0] and "stadt" in report.errors[0]
    assert len(records(store, "Meeting")) == 6


# --- times ------------------------------------------------------------------------------------


@pytest.fixture
def times_berlin(server: IcsServer, store: SQLiteStore) -> tuple[dict[str, dict[str, Any]], RunReport, SQLiteStore]:
    report = sync(server.put("/zeit.ics", feed("zeitfaelle.ics")), store)
    return {rid.rsplit(":", 1)[-1]: m for rid, m in records(store, "Meeting").items()}, report, store


def test_floating_all_day_and_odd_tzid_spellings(times_berlin: Any) -> None:
    meetings, report, _ = times_berlin
    assert meetings["schwebend"]["start"] == "2026-07-07T17:00:00+02:00"
    assert meetings["schwebend"]["end"] == "2026-07-07T19:00:00+02:00"
    assert meetings["ganztags"]["start"] == "2026-07-15T00:00:00+02:00"
    assert meetings["windows-zone"]["start"] == "2026-01-20T18:00:00+01:00"
    assert meetings["outlook-anzeigename"]["start"] == "2026-07-21T17:00:00+02:00"
    assert meetings["eigene-zone"]["start"] == "2026-08-05T17:00:00+02:00"
    assert meetings["utc-zeit"]["start"] == "2026-09-09T15:00:00Z"
    unknown = warning(report, "ics-unknown-tzid")
    assert unknown is not None and "Mars/Olympus_Mons" in unknown["example"]


def test_dst_gap_and_overlap(times_berlin: Any) -> None:
    meetings, _, _ = times_berlin
    # 2026-03-29 02:30 does not exist in Berlin: moved forward by the gap
    assert meetings["sommerzeit-luecke"]["start"] == "2026-03-29T03:30:00+02:00"
    assert meetings["eigene-zone-luecke"]["start"] == "2026-03-29T03:30:00+02:00", "zone from the feed's VTIMEZONE"
    # 2026-10-25 02:30 exists twice: the first (summer-time) occurrence
    assert meetings["winterzeit-doppelt"]["start"] == "2026-10-25T02:30:00+02:00"


def test_source_timezone_applies_to_floating_times_only(server: IcsServer, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "ny.db")
    try:
        sync(server.put("/zeit.ics", feed("zeitfaelle.ics")), store, timezone="America/New_York")
        meetings = {rid.rsplit(":", 1)[-1]: m for rid, m in records(store, "Meeting").items()}
    finally:
        store.close()
    assert meetings["schwebend"]["start"] == "2026-07-07T17:00:00-04:00"
    assert meetings["unbekannte-zone"]["start"] == "2026-08-12T17:00:00-04:00"
    assert meetings["windows-zone"]["start"] == "2026-01-20T18:00:00+01:00"
    assert meetings["eigene-zone"]["start"] == "2026-08-05T17:00:00+02:00", "VTIMEZONE rules, not the source zone"
    assert meetings["sommerzeit-luecke"]["start"] == "2026-03-29T03:30:00+02:00"


def test_recurrence_exdate_and_moved_occurrence(times_berlin: Any) -> None:
    meetings, _, _ = times_berlin
    series = {k: v for k, v in meetings.items() if k.startswith("woechentlich/")}
    assert sorted(v["start"] for v in series.values()) == [
        "2026-03-02T17:00:00+01:00",
        "2026-03-09T17:00:00+01:00",
        "2026-03-24T17:00:00+01:00",  # the occurrence of the 23rd, moved (RECURRENCE-ID)
        "2026-03-30T17:00:00+02:00",  # 17:00 local after the DST change
        "2026-04-06T17:00:00+02:00",
    ]  # 2026-03-16 is an EXDATE
    assert series["woechentlich/20260323T160000Z"]["name"] == "Sprechstunde des Bürgermeisters (verlegt)"


def test_event_without_uid_has_stable_id_and_malformed_event_is_quarantined(
    server: IcsServer, times_berlin: Any
) -> None:
    meetings, report, store = times_berlin
    no_uid = [k for k in meetings if k.startswith("nouid-")]
    assert len(no_uid) == 1 and meetings[no_uid[0]]["name"] == "Wahlprüfungsausschuss"
    assert warning(report, "ics-no-uid") is not None
    assert counts(report, "Meeting")["quarantined"] == 1
    (bad,) = store.quarantined()
    assert bad["ref"] == "urn:ris:stadt:Meeting:kaputt"
    assert "DTSTART" in bad["reason"] and "2026-13-45" in bad["reason"]
    assert "Kaputter Termin" in json.loads(bad["raw"])
    again = sync(server.url("/zeit.ics"), store)
    assert counts(again, "Meeting")["unchanged"] == counts(report, "Meeting")["created"]
    assert counts(again, "Meeting")["created"] == 0


# --- booking-system appointments ---------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_booking_feed_becomes_appointments_and_logs_no_personal_data(server: IcsServer, store: SQLiteStore) -> None:
    capture = _Capture()
    logger = logging.getLogger("ris_connector")
    old_level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    try:
        report = sync(server.put("/termine.ics", feed("buergerbuero_termine.ics")), store, kind="appointments")
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    assert report.status == "degraded" and report.complete  # 1 of 5 quarantined: above 5 %, all read
    assert report.degraded_types() == ["Appointment"]
    assert counts(report, "Appointment") == {
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "quarantined": 1,
    }
    assert records(store, "Meeting") == {}
    apps = {rid.split(":", 4)[-1].split("@")[0]: a for rid, a in records(store, "Appointment").items()}
    ausweis = apps["termin-20260604-0815-a1b2"]
    assert ausweis["start"] == "2026-06-04T08:15:00+02:00" and ausweis["end"] == "2026-06-04T08:30:00+02:00"
    assert ausweis["status"] == "confirmed"
    assert ausweis["organizer"] == "Bürgerbüro Musterstadt"
    assert ausweis["service"] == "Personalausweis"
    assert ausweis["keyword"] == ["Personalausweis", "Ausweisdokumente"]
    assert ausweis["locationText"] == "Bürgerbüro, Schalter 3, Markt 2, 12345 Musterstadt"
    assert ausweis["personal"] is True
    location = store.get(ausweis["location"])
    assert location is not None and location.data["geojson"] == {"type": "Point", "coordinates": [7.1234, 51.2345]}
    assert apps["termin-20260604-0900-c3d4"]["status"] == "cancelled"  # STATUS:CANCELLED
    assert apps["termin-20260605-1000-e5f6"]["status"] == "cancelled"  # "abgesagt" in SUMMARY
    closed = apps["termin-20260608-ganztag"]
    assert closed["allDay"] is True
    assert closed["start"] == "2026-06-08T00:00:00+02:00"

    quarantine_logged = [line for line in capture.lines if "quarantined" in line]
    assert quarantine_logged and "termin-kaputt" in quarantine_logged[0], "the log capture works"
    text = "\n".join(capture.lines)
    for personal in ("Mustermann", "Gabi Geheim", "Hans Beispiel", "Vorgangsnummer", "Reisepass"):
        assert personal not in text


# --- command line ------------------------------------------------------------------------------


def test_cli_sync_ics_and_exit_statuses(server: IcsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    url = server.put("/termine.ics", feed("buergerbuero_termine.ics"))
    # 1 of 5 events cannot be read: 20 % > max_quarantine_fraction (5 %), so the run is degraded (exit 4)
    assert main(["sync", "--ics", url, "--kind", "appointments", "--db", db, "--json"]) == 4
    out = json.loads(capsys.readouterr().out)
    assert out["adapter"] == "ics" and out["status"] == "degraded"
    assert out["quarantine_share"] == {"Appointment": 0.2, "Location": 0.0} and out["degraded_types"] == ["Appointment"]
    assert out["counts"]["Appointment"]["created"] == 4 and out["counts"]["Appointment"]["quarantined"] == 1

    assert main(["sync", "--ics", server.url("/gibt-es-nicht.ics"), "--db", db, "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["status"] == "incomplete"
    assert main(["sync", "--oparl", url, "--kind", "appointments", "--db", db]) == 2


def test_config_file_with_ics_sources(server: IcsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ris.toml"
    config.write_text(
        f"""
db = "ris.db"
[defaults.http]
rate_limit = 0

[[source]]
name = "musterstadt-rat"
adapter = "ics"
url = "{server.put(ALLRIS_PATH, feed("allris4_SiKalAbo.ics"))}"

[[source]]
name = "musterstadt-buergerbuero"
adapter = "ics"
url = "{server.put("/termine.ics", feed("buergerbuero_termine.ics"))}"
kind = "appointments"
recurrence_future = "365d"
max_quarantine_fraction = 0.25  # one event in five is broken on purpose: not degraded
""",
        encoding="utf-8",
    )
    assert main(["sync", "--config", str(config), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "complete" and out["degraded"] == []
    assert out["counts"]["Meeting"]["created"] == 6
    assert out["counts"]["Appointment"]["created"] == 4
    store = SQLiteStore(tmp_path / "ris.db")
    try:
        assert {r.source for r in store.iter_rows(type_name="Appointment")} == {"musterstadt-buergerbuero"}
    finally:
        store.close()
    config.write_text(config.read_text(encoding="utf-8").replace('"appointments"', '"termine"'), encoding="utf-8")
    assert main(["sync", "--config", str(config)]) == 2
    assert "kind" in capsys.readouterr().err


@pytest.mark.parametrize(
    "tzid",
    [
        "W. Europe Standard Time",
        '"W. Europe Standard Time"',
        "/mozilla.org/20050126_1/Europe/Berlin",
        " Europe/Berlin ",
        "(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien",
    ],
)
def test_tzid_spellings_map_to_berlin(tzid: str) -> None:
    from ris_connector.normalize.times import get_timezone

    assert str(get_timezone(tzid)) == "Europe/Berlin"


def test_documented_example_config_is_valid(tmp_path: Path) -> None:
    from ris_connector.adapters.registry import load_adapter
    from ris_connector.config import load_config

    page = (ROOT / "docs" / "sources" / "icalendar.md").read_text(encoding="utf-8")
    section = page.split("## Reading a feed", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "ics.toml").write_text(example, encoding="utf-8")
    sources = load_config(tmp_path / "ics.toml").sources
    assert [s.adapter for s in sources] == ["ics", "ics"]
    options = [load_adapter("ics").parse_options(s.options) for s in sources]
    assert [o.kind for o in options] == ["meetings", "appointments"]  # type: ignore[attr-defined]
