"""The SOAP adapter against a real SOAP server on 127.0.0.1 serving the Sitzungsdienst WSDL."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport, run_source
from tests.support.ristest import FAST_HTTP, ROOT
from tests.support.soap_server import SoapServer

NOW = datetime(2024, 4, 10, 8, 0, tzinfo=timezone.utc)
PASSWORD = "Geheim-7f3a!"


@pytest.fixture
def soap() -> Iterator[SoapServer]:
    server = SoapServer().start()
    yield server
    server.stop()


def _sync(store: SQLiteStore, url: str | None, clock: datetime = NOW, **options: object) -> RunReport:
    source = source_from_mapping(
        {"name": "sd", "adapter": "soap", "mapping": "sitzungsdienst", "url": url, "http": FAST_HTTP, **options}
    )
    return run_source(source, store, clock=FixedClock(clock))


def _get(store: SQLiteStore, type_name: str, native: object):  # type: ignore[no-untyped-def]
    row = store.get(f"urn:ris:sd:{type_name}:{native}")
    assert row is not None, f"{type_name} {native} missing"
    return row.to_record()


def test_meetings_agendas_papers_and_documents(soap: SoapServer, store: SQLiteStore) -> None:
    report = _sync(store, soap.wsdl_url)
    assert report.complete, report.errors
    assert {t: c["created"] for t, c in report.counts.items()} == {
        "Meeting": 3,
        "Organization": 2,
        "AgendaItem": 4,
        "Consultation": 3,
        "Paper": 3,
        "File": 2,
    }
    assert report.missing_references == 0
    calls = [name for name, _ in soap.calls]
    assert calls.count("SitzungenImZeitraum") == 1 and calls.count("Tagesordnung") == 3
    assert calls.count("VorlageLesen") == 3 and calls.count("DokumenteZurVorlage") == 3
    # The date window of a full run: window_days_back before now to window_days_ahead after.
    assert soap.calls[0][1] == {"von": "2022-04-11", "bis": "2025-04-10"}

    gr = _get(store, "Meeting", 301)
    assert gr.start.isoformat() == "2024-04-16T18:00:00+02:00" and gr.status.value == "confirmed"
    assert gr.organization == ["urn:ris:sd:Organization:11"]
    # xsi:nil values arrive as None and leave the field empty; naive times are Berlin time.
    ba = _get(store, "Meeting", 302)
    assert ba.end is None and ba.meeting_state is None and ba.cancelled is None
    assert ba.start.isoformat() == "2024-04-18T17:00:00+02:00"
    assert _get(store, "Meeting", 303).status.value == "cancelled"
    assert _get(store, "Meeting", 303).organization == []

    top = _get(store, "AgendaItem", 3012)
    assert (top.meeting, top.order, top.public, top.result) == ("urn:ris:sd:Meeting:301", 2, True, "beschlossen")
    assert top.consultation == "urn:ris:sd:Consultation:3012"
    assert _get(store, "AgendaItem", 3011).consultation is None
    paper = _get(store, "Paper", 501)
    assert paper.reference == "VO/2024/501" and paper.date.isoformat() == "2024-03-01"
    assert paper.auxiliary_file == ["urn:ris:sd:File:9001", "urn:ris:sd:File:9002"]
    assert _get(store, "Paper", 502).date is None
    doc = _get(store, "File", 9002)
    assert doc.size is None and doc.mime_type is None and doc.access_url.endswith("/9002.pdf")
    assert _get(store, "File", 9001).size == 120334


def test_incremental_runs_ask_from_the_watermark(soap: SoapServer, store: SQLiteStore) -> None:
    assert _sync(store, soap.wsdl_url).full
    soap.calls.clear()
    soap.data["meetings"][0]["titel"] = "Sitzung des Gemeinderates (geändert)"
    second = _sync(store, soap.wsdl_url, clock=datetime(2024, 4, 12, 8, 0, tzinfo=timezone.utc))
    assert not second.full and second.complete
    assert soap.calls[0] == ("SitzungenImZeitraum", {"von": "2024-04-10", "bis": "2025-04-12"})
    assert second.counts["Meeting"]["updated"] == 1 and second.total("created") == 0


def test_soap_fault_names_the_operation(soap: SoapServer, store: SQLiteStore, tmp_path: Path) -> None:
    # VorlageLesen skips faults (mapping: on_fault = "skip"): counted, the run goes on.
    soap.data["agendas"][302][0]["vorlageId"] = 999
    report = _sync(store, soap.wsdl_url)
    assert report.complete
    assert report.warnings["soap-fault"]["count"] == 1
    assert "VorlageLesen(vorlageId=999)" in report.warnings["soap-fault"]["example"]
    assert "Vorlage 999 nicht gefunden" in report.warnings["soap-fault"]["example"]
    # A fault where the mapping says "fail" ends the run as incomplete, naming the operation.
    mapping = (ROOT / "ris_connector" / "mappings" / "sitzungsdienst.toml").read_text()
    strict = tmp_path / "strict.toml"
    strict.write_text(mapping.replace('on_fault = "skip"', 'on_fault = "fail"'), encoding="utf-8")
    report = _sync(store, soap.wsdl_url, mapping=str(strict))
    assert report.status == "incomplete"
    assert "SOAP fault in operation VorlageLesen(vorlageId=999)" in report.errors[0]


def test_slow_service_hits_the_deadline(soap: SoapServer, store: SQLiteStore) -> None:
    soap.delay = 1.0
    source = source_from_mapping(
        {
            "name": "sd",
            "adapter": "soap",
            "mapping": "sitzungsdienst",
            "url": soap.wsdl_url,
            "http": {**FAST_HTTP, "read_timeout": 0.3, "max_attempts": 2},
        }
    )
    report = run_source(source, store, clock=FixedClock(NOW))
    assert report.status == "incomplete"
    assert "operation SitzungenImZeitraum" in report.errors[0] and "timeout" in report.errors[0]
    assert report.retries == 1


@pytest.mark.parametrize("kind", ["basic", "wsse"])
def test_auth_with_secret_from_environment(
    soap: SoapServer, store: SQLiteStore, kind: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    soap.auth = (kind, "ris", PASSWORD)

    def sync() -> RunReport:
        return _sync(store, soap.wsdl_url, auth=kind, username="ris", password_env="RIS_TEST_SOAP_PASSWORD")

    monkeypatch.setenv("RIS_TEST_SOAP_PASSWORD", "falsch")
    denied = sync()
    assert denied.status == "incomplete"
    assert ("401" in denied.errors[0]) if kind == "basic" else ("FailedAuthentication" in denied.errors[0])

    monkeypatch.setenv("RIS_TEST_SOAP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    report = sync()
    assert report.complete and report.total("created") == 17
    if kind == "basic":
        assert all(h.get("Authorization", "").startswith("Basic ") for h in soap.seen_headers[-10:])
    assert PASSWORD not in caplog.text and PASSWORD not in json.dumps(report.to_json_dict())

    monkeypatch.delenv("RIS_TEST_SOAP_PASSWORD")
    with pytest.raises(Exception, match="RIS_TEST_SOAP_PASSWORD is not set"):
        sync()


def test_local_wsdl_and_cli(soap: SoapServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The CLI runs on the real clock: move the meetings into its date window.
    soon = date.today() + timedelta(days=10)
    for meeting in soap.data["meetings"]:
        meeting["beginn"] = soon.isoformat() + meeting["beginn"][10:]
        meeting["ende"] = None
    wsdl = soap.local_wsdl(tmp_path)
    db = tmp_path / "soap.db"
    code = main(["sync", "--soap", str(wsdl), "--mapping", "sitzungsdienst", "--db", str(db), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["counts"]["Meeting"]["created"] == 3 and report["adapter"] == "soap"
    assert soap.wsdl_gets == 0  # the WSDL came from the file
    assert main(["sync", "--soap", soap.wsdl_url, "--mapping", "sitzungsdienst", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["unchanged"] == 0  # another source name: new records
    soap.delay = 0
    soap.data["papers"].pop(503)
    strict = tmp_path / "strict.toml"
    strict.write_text(
        (ROOT / "ris_connector" / "mappings" / "sitzungsdienst.toml")
        .read_text()
        .replace('on_fault = "skip"', 'on_fault = "fail"'),
        encoding="utf-8",
    )
    assert main(["sync", "--soap", str(wsdl), "--mapping", str(strict), "--db", str(db), "--json"]) == 3


def test_wsdl_cache_dir_spares_the_download(soap: SoapServer, store: SQLiteStore, tmp_path: Path) -> None:
    cache = tmp_path / "wsdl-cache"
    _sync(store, soap.wsdl_url, wsdl_cache_dir=str(cache))
    _sync(store, soap.wsdl_url, wsdl_cache_dir=str(cache))
    assert soap.wsdl_gets == 1 and len(list(cache.iterdir())) == 1


def test_hostile_response_is_refused(soap: SoapServer, store: SQLiteStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    original = soap.answer

    def hostile(body: bytes, authorization: str | None) -> tuple[int, str]:
        status, text = original(body, authorization)
        doctype = f'<!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'
        return status, text.replace("?>", "?>" + doctype, 1).replace("Ratssaal", "&s;")

    soap.answer = hostile  # type: ignore[method-assign]
    report = _sync(store, soap.wsdl_url)
    assert report.status == "incomplete" and "DOCTYPE" in report.errors[0]
    # The error names the source, though the refusal comes from the XML parser, not the HTTP client.
    assert report.errors[0].startswith("[sd] operation SitzungenImZeitraum"), report.errors[0]
    assert not any("TOP-SECRET" in json.dumps(row.data) for row in store.iter_rows())
