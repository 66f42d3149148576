"""Repairs of what real iCalendar feeds break, each a counted notice (docs/sources/icalendar.md).

Every test serves a feed over real HTTP (``IcsServer``) and syncs it through the engine into a
real SQLite file. The three feeds of ``tests/fixtures/ics/`` are also served broken the way
real servers break them (folded without the leading space, LF or CR line ends, a BOM,
cp1252) and must give the same records as served cleanly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ris_connector.adapters.ics.notes import NOTICES
from ris_connector.cli import main
from ris_connector.store import SQLiteStore
from tests.support.ics_feeds import calendar, fold, fold_without_space, stored, sync_ics, warned, warning
from tests.support.ics_server import IcsServer
from tests.support.ristest import FIXTURES, ROOT

ICS = FIXTURES / "ics"
DOCS = ROOT / "docs" / "sources" / "icalendar.md"


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with IcsServer() as srv:
        yield srv


def event(uid: str, *lines: str, start: str = "DTSTART;TZID=Europe/Berlin:20260610T170000") -> str:
    body = "\n".join(lines)
    return f"BEGIN:VEVENT\nUID:{uid}\n{start}\n{body}\nEND:VEVENT".replace("\n\n", "\n")


def meeting(store: SQLiteStore, uid: str, source: str = "stadt") -> dict[str, Any]:
    return stored(store, "Meeting")[f"urn:ris:{source}:Meeting:{uid}"]


# --- GEO ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "geo",
    ["51.2345,7.1234", "51.2345, 7.1234", "51.2345 7.1234", "51.2345 ; 7.1234", "51,2345;7,1234", " 51.2345;7.1234 "],
)
def test_geo_with_comma_or_space_costs_nothing(server: IcsServer, store: SQLiteStore, geo: str) -> None:
    """A real feed of 999 events stored 43: GEO written lat,lon cost every event (issue 13)."""
    events = [event(f"e{i}", f"SUMMARY:Veranstaltung {i}", "LOCATION:Stadthalle", f"GEO:{geo}") for i in range(40)]
    report = sync_ics(server.put("/geo.ics", calendar(*events)), store)
    assert report.status == "complete"
    assert report.counts["Meeting"]["created"] == 40 and report.counts["Meeting"]["quarantined"] == 0
    (place,) = stored(store, "Location").values()
    assert place["geojson"] == {"type": "Point", "coordinates": [7.1234, 51.2345]}
    if geo.strip() != "51.2345;7.1234":
        assert warned(report, "ics-geo-repaired") == 40
        assert geo.strip()[:10] in warning(report, "ics-geo-repaired")["example"]  # type: ignore[index]


@pytest.mark.parametrize("geo", ["91;7", "51;181", "0;0", "nan;7", "51.1", "Nord;Ost", "51,1,7,2", "1e400;1"])
def test_unreadable_or_impossible_geo_is_dropped_with_a_notice(server: IcsServer, store: SQLiteStore, geo: str) -> None:
    feed = calendar(event("e1", "SUMMARY:Rat", "LOCATION:Stadthalle", f"GEO:{geo}"))
    report = sync_ics(server.put("/geo.ics", feed), store)
    assert meeting(store, "e1")["name"] == "Rat"
    (place,) = stored(store, "Location").values()
    assert "geojson" not in place
    assert warned(report, "ics-bad-geo") == 1


def test_a_recurring_event_counts_its_bad_value_once(server: IcsServer, store: SQLiteStore) -> None:
    feed = calendar(event("w", "RRULE:FREQ=WEEKLY;COUNT=10", "LOCATION:Stadthalle", "GEO:51.1,7.2", "URL:ftp://x"))
    report = sync_ics(server.put("/weekly.ics", feed), store)
    assert len(stored(store, "Meeting")) == 10
    assert warned(report, "ics-geo-repaired") == 1 and warned(report, "ics-bad-url") == 1


# --- folding --------------------------------------------------------------------------------

LONG = "Ausschuss für Stadtentwicklung, Umwelt, Klimaschutz, Mobilität und Digitalisierung"
DESCRIPTION = (
    "Öffentliche Sitzung des Ausschusses. Die Tagesordnung und die Vorlagen stehen im "
    "Ratsinformationssystem; Anträge der Fraktionen bitte bis zum Freitag davor einreichen."
)


def test_folding_without_the_leading_space_keeps_whole_values(server: IcsServer, store: SQLiteStore) -> None:
    """About one summary in five was cut at the first physical line, silently (issue 13)."""
    events = [
        event(f"e{i}", f"SUMMARY:{LONG} ({i})", f"DESCRIPTION:{DESCRIPTION}", "LOCATION:Rathaus") for i in range(25)
    ]
    text = calendar(*events)
    report = sync_ics(server.put("/fold.ics", fold_without_space(text)), store)
    assert report.status == "complete" and report.counts["Meeting"]["created"] == 25
    for i in range(25):
        record = meeting(store, f"e{i}")
        assert record["name"] == f"{LONG} ({i})"  # umlauts split between two lines come out whole
        assert record["description"] == DESCRIPTION
    assert warned(report, "ics-fold-without-space") >= 25 * 3
    assert warned(report, "ics-line-break-in-value") == 0


def test_raw_line_breaks_inside_a_value_are_kept_as_line_breaks(server: IcsServer, store: SQLiteStore) -> None:
    feed = calendar(
        event("e1", "SUMMARY:Rat", "DESCRIPTION:Tagesordnung:", "1. Eröffnung", "2. Bericht", "URL:https://x.de/1")
    )
    report = sync_ics(server.put("/breaks.ics", feed), store)
    record = meeting(store, "e1")
    assert record["description"] == "Tagesordnung:\n1. Eröffnung\n2. Bericht"
    assert record["web"] == "https://x.de/1", "a known property after the broken value is its own line again"
    assert warned(report, "ics-line-break-in-value") == 2


def test_rfc_folding_is_no_repair(server: IcsServer, store: SQLiteStore) -> None:
    feed = calendar(event("e1", f"SUMMARY:{LONG}", f"DESCRIPTION:{DESCRIPTION}"))
    report = sync_ics(server.put("/ok.ics", fold(feed)), store)
    assert meeting(store, "e1")["name"] == LONG
    assert report.to_json_dict()["warnings"] == []


# --- bytes and lines ------------------------------------------------------------------------


@pytest.mark.parametrize("line_end", ["\n", "\r", "\r\r\n"])
def test_bare_lf_or_cr_line_ends(server: IcsServer, store: SQLiteStore, line_end: str) -> None:
    feed = calendar(event("e1", f"SUMMARY:{LONG}", "LOCATION:Rathaus"))
    report = sync_ics(server.put("/lf.ics", fold(feed), line_end=line_end), store)
    assert meeting(store, "e1")["name"] == LONG
    assert warned(report, "ics-line-ends") > 5


def test_byte_order_marks(server: IcsServer, store: SQLiteStore, tmp_path: Path) -> None:
    feed = calendar(event("e1", "SUMMARY:Bürgerversammlung"))
    report = sync_ics(server.put("/bom8.ics", b"\xef\xbb\xbf" + feed.encode()), store)
    assert meeting(store, "e1")["name"] == "Bürgerversammlung"
    assert warned(report, "ics-bom") == 1
    other = SQLiteStore(tmp_path / "utf16.db")
    try:
        report = sync_ics(server.put("/bom16.ics", feed.replace("\n", "\r\n").encode("utf-16")), other)
        assert meeting(other, "e1")["name"] == "Bürgerversammlung"
        assert "UTF-16" in warning(report, "ics-bom")["example"]  # type: ignore[index]
    finally:
        other.close()


def test_cp1252_lines_in_a_utf8_feed_are_read_line_by_line(server: IcsServer, store: SQLiteStore) -> None:
    utf8 = calendar(event("e1", "SUMMARY:Ausschuss für Bürgerbeteiligung")).encode("utf-8")
    latin = calendar(event("e2", "SUMMARY:Ausschuss für Bürgerbeteiligung \u2013 Nachtrag")).encode("cp1252")
    report = sync_ics(server.put("/mixed.ics", utf8 + latin), store)
    assert meeting(store, "e1")["name"] == "Ausschuss für Bürgerbeteiligung"
    assert meeting(store, "e2")["name"] == "Ausschuss für Bürgerbeteiligung \u2013 Nachtrag"
    assert warned(report, "ics-encoding") == 1


def test_blank_lines_and_broken_parameters(server: IcsServer, store: SQLiteStore) -> None:
    feed = calendar(
        event(
            "e1",
            "SUMMARY;LANGUAGE=de:Rat",
            'LOCATION;ALTREP="http://x.de/raum;1":Ratssaal',
            "<blank>",
            'ORGANIZER;CN="Stadt:mailto:rat@x.de',
        ),
        "<blank>",
        event("e2", 'LOCATION;X-A=b"c:Sitzungszimmer', "SUMMARY:Hauptausschuss"),
    ).replace("<blank>", "")
    report = sync_ics(server.put("/params.ics", feed), store)
    assert meeting(store, "e1")["name"] == "Rat"
    places = {p["name"] for p in stored(store, "Location").values()}
    assert places == {"Ratssaal", "Sitzungszimmer"}
    assert warned(report, "ics-bad-parameter") == 2
    assert warned(report, "ics-blank-line") == 2


# --- structure ------------------------------------------------------------------------------


def test_missing_end_lines_close_what_must_end(server: IcsServer, store: SQLiteStore) -> None:
    text = calendar(event("e1", "SUMMARY:Rat"), event("e2", "SUMMARY:Bauausschuss"), event("e3", "SUMMARY:Jugend"))
    text = text.replace("SUMMARY:Rat\nEND:VEVENT", "SUMMARY:Rat")  # BEGIN:VEVENT before END:VEVENT
    text = text.replace("\nEND:VCALENDAR", "")
    report = sync_ics(server.put("/ends.ics", text), store)
    assert report.status == "complete"
    assert {m["name"] for m in stored(store, "Meeting").values()} == {"Rat", "Bauausschuss", "Jugend"}
    assert warned(report, "ics-unbalanced-component") == 1
    assert warned(report, "ics-no-end-vcalendar") == 1


def test_truncated_feed_keeps_complete_events_and_deletes_nothing(
    server: IcsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = [event(f"e{i}", f"SUMMARY:Sitzung {i}") for i in range(10)]
    db = str(tmp_path / "cut.db")
    url = server.put("/cut.ics", calendar(*events))
    assert main(["sync", "--ics", url, "--db", db, "--json"]) == 0
    capsys.readouterr()
    whole = calendar(*events, event("e10", "SUMMARY:Neue Sitzung")).encode()
    server.put("/cut.ics", whole[: whole.index(b"UID:e6") + 3])  # the connection broke inside e6
    assert main(["sync", "--ics", url, "--db", db, "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "incomplete"
    assert "ends inside an event" in out["errors"][0] and out["source"] in out["errors"][0]
    assert {w["code"] for w in out["warnings"]} >= {"ics-truncated"}
    assert out["counts"]["Meeting"]["unchanged"] == 6 and out["counts"]["Meeting"]["deleted"] == 0
    store = SQLiteStore(tmp_path / "cut.db")
    try:
        assert len([m for m in stored(store, "Meeting").values() if not m.get("deleted")]) == 10
    finally:
        store.close()


def test_not_a_feed_at_all_is_still_an_error(server: IcsServer, store: SQLiteStore) -> None:
    report = sync_ics(server.put("/x.ics", "<html><body>Wartung</body></html>", "text/html"), store)
    assert report.status == "incomplete" and "not an iCalendar feed" in report.errors[0]


# --- identity -------------------------------------------------------------------------------


def test_duplicate_uid_newest_copy_wins_and_collisions_keep_both(server: IcsServer, store: SQLiteStore) -> None:
    feed = calendar(
        event("v", "SEQUENCE:2", "SUMMARY:Rat (neue Fassung)"),
        event("v", "SEQUENCE:1", "SUMMARY:Rat (alte Fassung)"),
        event("same", "SUMMARY:Ausschuss"),
        event("same", "SUMMARY:Ausschuss"),
        event("c", "SUMMARY:Sprechstunde Montag", start="DTSTART;TZID=Europe/Berlin:20260608T100000"),
        event("c", "SUMMARY:Sprechstunde Dienstag", start="DTSTART;TZID=Europe/Berlin:20260609T100000"),
    )
    report = sync_ics(server.put("/dup.ics", feed), store)
    meetings = stored(store, "Meeting")
    assert meetings["urn:ris:stadt:Meeting:v"]["name"] == "Rat (neue Fassung)"
    assert "urn:ris:stadt:Meeting:same" in meetings
    assert meetings["urn:ris:stadt:Meeting:c/20260608T100000"]["name"] == "Sprechstunde Montag"
    assert meetings["urn:ris:stadt:Meeting:c/20260609T100000"]["name"] == "Sprechstunde Dienstag"
    assert len(meetings) == 4
    assert warned(report, "ics-duplicate-uid") == 2
    assert warned(report, "ics-uid-collision") == 2


def test_very_long_uid_becomes_a_hash(server: IcsServer, store: SQLiteStore) -> None:
    uid = "x" * 5000
    report = sync_ics(server.put("/uid.ics", calendar(event(uid, "SUMMARY:Rat"))), store)
    (rid,) = stored(store, "Meeting")
    assert rid.startswith("urn:ris:stadt:Meeting:uidhash-") and len(rid) < 80
    assert warned(report, "ics-long-uid") == 1


# --- times ----------------------------------------------------------------------------------


def test_date_spellings_and_value_types(server: IcsServer, store: SQLiteStore) -> None:
    feed = calendar(
        event("a", "SUMMARY:A", start="DTSTART;VALUE=DATE:20260610T170000"),
        event("b", "SUMMARY:B", start="DTSTART;VALUE=DATE:20260611T000000"),
        event("c", "SUMMARY:C", start="DTSTART;TZID=Europe/Berlin:2026-06-12T17:00:00"),
        event("d", "SUMMARY:D", start="DTSTART;TZID=Europe/Berlin:20260613T1700"),
        event("e", "SUMMARY:E", "DTEND:00000000", start="DTSTART;TZID=Europe/Berlin:20260614T170000"),
        event("f", "SUMMARY:F", "DTEND;TZID=Europe/Berlin:99991231T235959"),
        event("g", "SUMMARY:G", "DURATION:P99999999W"),
    )
    report = sync_ics(server.put("/dates.ics", feed), store)
    assert report.counts["Meeting"]["quarantined"] == 0
    assert meeting(store, "a")["start"] == "2026-06-10T17:00:00+02:00", "the time is kept"
    assert meeting(store, "b")["start"] == "2026-06-11T00:00:00+02:00"
    assert meeting(store, "c")["start"] == "2026-06-12T17:00:00+02:00"
    assert meeting(store, "d")["start"] == "2026-06-13T17:00:00+02:00"
    assert "end" not in meeting(store, "e") and "end" not in meeting(store, "f") and "end" not in meeting(store, "g")
    assert warned(report, "ics-value-type") == 2
    assert warned(report, "ics-date-format") == 2
    assert warned(report, "ics-bad-dtend") == 2
    assert warned(report, "ics-bad-duration") == 1


def test_windows_tzid_with_and_without_vtimezone(server: IcsServer, store: SQLiteStore) -> None:
    zone = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""
    feed = calendar(
        zone,
        event("w", "SUMMARY:W", start='DTSTART;TZID="W. Europe Standard Time":20260610T170000'),
        event("x", "SUMMARY:X", start="DTSTART;TZID=Romance Standard Time:20260110T170000"),
    )
    report = sync_ics(server.put("/win.ics", feed), store)
    assert meeting(store, "w")["start"] == "2026-06-10T17:00:00+02:00"
    assert meeting(store, "x")["start"] == "2026-01-10T17:00:00+01:00"
    assert warned(report, "ics-tzid-alias") == 1  # Romance: no VTIMEZONE, a Windows name


# --- the fixtures, broken the way real servers break them -----------------------------------

BREAKAGES = {
    "folded-without-space": lambda text: fold_without_space(fold_unfolded(text), 75),
    "lf-line-ends": lambda text: text.encode(),
    "cr-line-ends": lambda text: text.replace("\n", "\r").encode(),
    "bom": lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
    "cp1252": lambda text: text.replace("\n", "\r\n").encode("cp1252", errors="replace"),
    "no-end-vcalendar": lambda text: text.replace("END:VCALENDAR", "").replace("\n", "\r\n").encode(),
}


def fold_unfolded(text: str) -> str:
    """The fixture with RFC folds undone, so every line is one logical line."""
    return text.replace("\n ", "")


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("allris4_SiKalAbo.ics", "meetings"),
        ("buergerbuero_termine.ics", "appointments"),
        ("zeitfaelle.ics", "meetings"),
    ],
)
def test_fixture_feeds_broken_like_real_servers_give_the_same_records(
    server: IcsServer, tmp_path: Path, fixture: str, kind: str, breakage: str
) -> None:
    text = (ICS / fixture).read_text(encoding="utf-8").replace("{now}", "20260601T080000Z")
    clean, broken = SQLiteStore(tmp_path / "clean.db"), SQLiteStore(tmp_path / "broken.db")
    try:
        good = sync_ics(server.put("/clean.ics", text), clean, kind=kind)
        bad = sync_ics(server.put("/broken.ics", BREAKAGES[breakage](text)), broken, kind=kind)
        type_name = "Meeting" if kind == "meetings" else "Appointment"
        expected, got = stored(clean, type_name), stored(broken, type_name)
        if breakage == "cp1252":  # not every character exists in cp1252: compare what does
            expected = {k: _without_text(v) for k, v in expected.items()}
            got = {k: _without_text(v) for k, v in got.items()}
        assert {k: _content(v) for k, v in got.items()} == {k: _content(v) for k, v in expected.items()}
        assert bad.counts[type_name]["quarantined"] == good.counts[type_name]["quarantined"]
        assert set(bad.warnings) - set(good.warnings), "the repair is counted"
    finally:
        clean.close()
        broken.close()


def _content(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("provenance",)}


def _without_text(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("name", "description", "organizer", "locationText")}


# --- documentation --------------------------------------------------------------------------


def test_every_notice_code_is_documented_with_an_example() -> None:
    page = DOCS.read_text(encoding="utf-8")
    missing = [code for code in NOTICES if f"`{code}`" not in page]
    assert missing == []
