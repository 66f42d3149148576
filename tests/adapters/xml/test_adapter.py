"""The XML export adapter end to end: real HTTP on 127.0.0.1, real SQLite, the shipped ALLRIS 3 mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.errors import ConfigError
from ris_connector.mapping import load_mapping
from ris_connector.models import AgendaItem, Consultation, Meeting, Paper
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.ristest import FAST_HTTP, FIXTURES, allris3_pages, allris3_source, record_of
from tests.support.static_server import Page, StaticServer

ALLRIS = FIXTURES / "xml" / "allris3"
NOW = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def allris() -> Iterator[StaticServer]:
    """ALLRIS 3 template pages as the vendor serves them: ISO-8859-1 label, cp1252 bytes."""
    server = StaticServer(allris3_pages()).start()
    yield server
    server.stop()


def _source(server: StaticServer, **extra: object):  # type: ignore[no-untyped-def]
    return allris3_source(server.url("/bi/"), **extra)


def test_allris3_export_lands_normalized_in_the_store(allris: StaticServer, store: SQLiteStore) -> None:
    report = run_source(_source(allris), store, clock=FixedClock(NOW))
    assert report.complete and report.full
    assert {t: c["created"] for t, c in report.counts.items()} == {
        "Meeting": 4,
        "Organization": 3,
        "AgendaItem": 3,
        "Consultation": 2,
        "Paper": 2,
    }
    # One meeting has no date a parser could read: it costs the start, not the meeting (counted).
    assert report.total("quarantined") == 0
    assert report.warnings["invalid-value"]["count"] == 1
    assert report.warnings["invalid-value"]["example"] == (
        "Meeting 5004: start: not a date-time in format %Y%m%dT%H%M%SZ: 'kein Datum'; dropped"
    )
    undated = record_of(store, "urn:ris:musterstadt:Meeting:5004", Meeting)
    assert undated.start is None and undated.name == "Sitzung des Hauptausschusses"
    assert undated.end is not None and undated.end.isoformat() == "2024-03-20T19:00:00+01:00"
    assert report.warnings["encoding-label"]["count"] == 3

    ha = record_of(store, "urn:ris:musterstadt:Meeting:5001", Meeting)
    # "20240312T170000Z" is local time in ALLRIS 3 (z_is_utc = false): 17:00 in Berlin.
    assert ha.start.isoformat() == "2024-03-12T17:00:00+01:00"
    assert ha.organization == ["urn:ris:musterstadt:Organization:Hauptausschuss"]
    assert ha.web == allris.url("/bi/to010.asp?SILFDNR=5001")
    assert ha.status.value == "held"
    cancelled = record_of(store, "urn:ris:musterstadt:Meeting:5002", Meeting)
    assert cancelled.status.value == "cancelled"  # "entfällt" in the title
    rat = record_of(store, "urn:ris:musterstadt:Meeting:5003", Meeting)
    assert rat.start.isoformat() == "2024-03-31T03:00:00+02:00"  # 02:00 does not exist that night
    assert rat.end is None

    top = record_of(store, "urn:ris:musterstadt:AgendaItem:9102", AgendaItem)
    assert (top.number, top.order, top.public) == ("2.1", 2, True)
    assert top.name == "Straßenausbau „Am Mühlbach“ \N{EN DASH} Beschluss"  # cp1252 quotes under a latin-1 label
    assert top.meeting == "urn:ris:musterstadt:Meeting:5001"  # from the page's SILFDNR parameter
    assert top.consultation == "urn:ris:musterstadt:Consultation:9102"
    first = record_of(store, "urn:ris:musterstadt:AgendaItem:9101", AgendaItem)
    assert first.consultation is None and first.number == "1"  # volfdnr 0 = no paper
    secret = record_of(store, "urn:ris:musterstadt:AgendaItem:9103", AgendaItem)
    assert secret.public is False
    paper = record_of(store, "urn:ris:musterstadt:Paper:7001", Paper)
    assert (paper.reference, paper.paper_type) == ("VO/2024/0815", "Beschlussvorlage")
    assert paper.web == allris.url("/bi/vo020.asp?VOLFDNR=7001")
    consultation = record_of(store, "urn:ris:musterstadt:Consultation:9102", Consultation)
    assert consultation.paper == "urn:ris:musterstadt:Paper:7001"
    assert report.missing_references == 0


def test_every_run_is_full_so_vanished_records_are_deleted(allris: StaticServer, store: SQLiteStore) -> None:
    source = _source(allris)
    run_source(source, store, clock=FixedClock(NOW))
    second = run_source(source, store, clock=FixedClock(NOW))
    assert second.full and second.total("created") == second.total("updated") == second.total("deleted") == 0
    seq = max(e.seq for e in store.changes())

    page = allris.pages["/bi/vo040.asp"]
    allris.pages["/bi/vo040.asp"] = Page(
        page.body.replace(b"Verkauf eines Grundst", b"Verkauf des Grundst"), page.content_type
    )
    si010 = allris.pages["/bi/si010.asp"]
    start = si010.body.index(b"<element><silfdnr>5002")
    end = si010.body.index(b"</element>", start) + len(b"</element>")
    allris.pages["/bi/si010.asp"] = Page(si010.body[:start] + si010.body[end:], si010.content_type)

    third = run_source(source, store, clock=FixedClock(NOW))
    assert third.complete and third.full
    events = {(e.kind, e.id) for e in store.changes(after=seq)}
    assert ("updated", "urn:ris:musterstadt:Paper:7002") in events
    assert ("deleted", "urn:ris:musterstadt:Meeting:5002") in events
    assert store.get("urn:ris:musterstadt:Meeting:5002").deleted


def test_date_window_urls_run_incrementally_from_the_watermark(allris: StaticServer, store: SQLiteStore) -> None:
    window = allris.url(
        "/bi/si010.asp?selfaction=ws&template=xyz&kaldatvon={since:%d.%m.%Y}&kaldatbis={until:%d.%m.%Y}"
    )
    source = source_from_mapping(
        {"name": "fenster", "adapter": "xml", "mapping": "allris3", "url": window, "urls": [window], "http": FAST_HTTP}
    )
    first = run_source(source, store, clock=FixedClock(NOW))
    assert first.full and first.complete
    later = FixedClock(datetime(2024, 3, 26, 12, 0, tzinfo=timezone.utc))
    second = run_source(source, store, clock=later)
    assert not second.full and second.complete
    queries = [r.query_string for r in allris.requests if r.path == "/bi/si010.asp"]
    assert len(queries) == 2
    assert "kaldatvon=23.03.2014&kaldatbis=20.03.2025" in queries[0]  # full run: 3650 days back
    # Incremental: from the first run's watermark (20.03.) minus the 1 h overlap, to a year ahead.
    assert "kaldatvon=20.03.2024&kaldatbis=26.03.2025" in queries[1]


def test_hostile_export_fails_the_run_without_leaking(allris: StaticServer, store: SQLiteStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    allris.pages["/bi/vo040.asp"] = Page(
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'
        f"<x><list><element><volfdnr>1</volfdnr><vobetr>&s;</vobetr></element></list></x>".encode()
    )
    report = run_source(_source(allris), store, clock=FixedClock(NOW))
    assert report.status == "incomplete"
    assert any("DOCTYPE" in e and "vo040.asp" in e for e in report.errors), report.errors
    assert not any("TOP-SECRET" in json.dumps(row.data) for row in store.iter_rows())
    # The run was not complete, so nothing was deleted by absence.
    assert report.total("deleted") == 0


def test_control_characters_are_counted_in_the_report(allris: StaticServer, store: SQLiteStore) -> None:
    page = allris.pages["/bi/vo040.asp"]
    allris.pages["/bi/vo040.asp"] = Page(page.body.replace(b"Verkauf", b"Ver\x0bkauf\x01"), page.content_type)
    report = run_source(_source(allris), store, clock=FixedClock(NOW))
    assert report.complete
    assert report.control_characters_removed == 2
    assert report.to_json_dict()["control_characters_removed"] == 2
    assert record_of(store, "urn:ris:musterstadt:Paper:7002", Paper).name == "Verkauf eines Grundstücks"


def test_cli_sync_xml_with_shipped_mapping(
    allris: StaticServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.db"
    url = allris.url("/bi/vo040.asp?selfaction=ws&template=xyz")
    assert main(["sync", "--xml", url, "--mapping", "allris3", "--db", str(db), "--json", "--name", "muster"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["Paper"]["created"] == 2 and report["status"] == "complete"
    # A local file works the same way; one of its four meetings has no readable date: it is stored
    # without its start (a counted notice), so nothing is quarantined and the run is complete.
    assert main(["sync", "--xml", str(ALLRIS / "si010.xml"), "--mapping", "allris3", "--db", str(db), "--json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert local["counts"]["Meeting"]["created"] == 4 and local["counts"]["Meeting"]["quarantined"] == 0
    assert [w["count"] for w in local["warnings"] if w["code"] == "invalid-value"] == [1]
    # Usage errors exit with 2, a source that cannot be read with 3.
    assert main(["sync", "--xml", url, "--db", str(db)]) == 2
    assert main(["sync", "--xml", url, "--mapping", "no-such-mapping", "--db", str(db)]) == 2
    missing = allris.url("/bi/gone.asp")
    assert main(["sync", "--xml", missing, "--mapping", "allris3", "--db", str(db), "--json"]) == 3


def test_mapping_errors_name_the_file_and_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[record]]\ntype = "Meeting"\nelement = "row"\nid = "nr"\n'
        '[record.fields]\nstart = { path = "beginn", convert = "datetme" }\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_mapping(str(bad))
    assert str(bad) in str(info.value) and "record[0] (Meeting).fields.start.convert" in str(info.value)
    bad.write_text('[[record]]\ntype = "Sitzung"\nelement = "row"\nid = "nr"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"record\[0\].*type.*unknown record type 'Sitzung'"):
        load_mapping(str(bad))
    bad.write_text('[[record]]\ntype = "Meeting"\nelement = "row"\nid = "nr"\nfields = { farbe = "f" }\n')
    with pytest.raises(ConfigError, match="Meeting has no field 'farbe'"):
        load_mapping(str(bad))
