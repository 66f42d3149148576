"""Promise: a SOAP service gets no more than the rest: bounded schemas, answers, calls and faults.

Schema imports are limited in depth (``max_schema_depth``) and count (``max_schema_documents``):
a chain of 250 nested XSD imports ended in a RecursionError traceback that skipped the next
sources of the config and left the run "running". Answers above ``max_response_bytes`` are
refused (zeep needs about 15 times an answer's size), calls per run stop at ``max_calls``, and
a fault's text is escaped and clipped in the error, the log, stdout and the stored report.
"""

from __future__ import annotations

import json
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
from tests.support.ristest import FAST_HTTP
from tests.support.soap_server import SoapServer

NOW = datetime(2024, 4, 10, 8, 0, tzinfo=timezone.utc)
FORGED = "12:00:00 ERROR ris_connector.sync.engine: forged line"


@pytest.fixture
def soap() -> Iterator[SoapServer]:
    server = SoapServer().start()
    yield server
    server.stop()


def _sync(store: SQLiteStore, url: str, **options: Any) -> RunReport:
    source = source_from_mapping(
        {"name": "sd", "adapter": "soap", "mapping": "sitzungsdienst", "url": url, "http": FAST_HTTP, **options}
    )
    return run_source(source, store, clock=FixedClock(NOW))


def _config(path: Path, *servers: tuple[str, SoapServer]) -> Path:
    tables = "".join(
        f'[[source]]\nname = "{name}"\nadapter = "soap"\nmapping = "sitzungsdienst"\nurl = "{server.wsdl_url}"\n\n'
        for name, server in servers
    )
    path.write_text(tables, encoding="utf-8")
    return path


def test_nested_schema_imports_end_in_a_clear_error_and_the_next_source_runs(
    soap: SoapServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = SoapServer(import_chain=250).start()
    try:
        config = _config(tmp_path / "sources.toml", ("chain", chain), ("good", soap))
        status = main(["sync", "--config", str(config), "--db", str(tmp_path / "ris.db")])
    finally:
        chain.stop()
    err = capsys.readouterr().err
    assert status == 3 and "Traceback" not in err
    assert "schema imports nest deeper than 20 (option max_schema_depth)" in err
    assert chain.xsd_gets == 20  # the 21st import was not fetched
    with SQLiteStore(tmp_path / "ris.db") as store:
        assert store.runs("chain", limit=1)[0].status == "incomplete"  # closed, not "running"
        assert store.runs("good", limit=1)[0].status == "complete"  # the next source still ran


def test_schema_documents_are_limited_in_number(store: SQLiteStore) -> None:
    chain = SoapServer(import_chain=30).start()
    try:
        report = _sync(store, chain.wsdl_url, max_schema_depth=50, max_schema_documents=10)
    finally:
        chain.stop()
    assert report.status == "incomplete"
    assert "more than 10 schema documents (option max_schema_documents)" in report.errors[0]
    assert chain.xsd_gets == 9  # the WSDL and nine schemas


def test_an_answer_above_max_response_bytes_is_refused(soap: SoapServer, store: SQLiteStore) -> None:
    first = soap.data["meetings"][0]
    soap.data["meetings"] = [dict(first, id=n, titel="Sitzung " + "x" * 200) for n in range(400)]  # about 180 KB
    report = _sync(store, soap.wsdl_url, max_response_bytes=65536)
    assert report.status == "incomplete"
    assert "the answer exceeds 65536 bytes (option max_response_bytes)" in report.errors[0], report.errors
    assert report.total("created") == 0


def test_calls_per_run_are_capped(soap: SoapServer, store: SQLiteStore) -> None:
    report = _sync(store, soap.wsdl_url, max_calls=3)
    assert report.status == "incomplete"
    assert "more than 3 SOAP calls in one run (option max_calls)" in report.errors[0]
    assert len(soap.calls) == 3
    assert report.total("deleted") == 0  # an incomplete run deletes nothing


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (5_000_000, "Anmeldung fehlgeschlagen\\x0a12:00:00"),  # parsed: its text escaped and clipped
        (50_000_000, "the answer exceeds 8388608 bytes"),  # above max_response_bytes: never parsed
    ],
    ids=["5MB-fault", "50MB-fault"],
)
def test_a_huge_fault_never_floods_error_log_stdout_or_report(
    size: int, expected: str, soap: SoapServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    soap.fault_text = f"Anmeldung fehlgeschlagen\n{FORGED} \u202egnp.exe " + "x" * size
    config = _config(tmp_path / "sources.toml", ("sd", soap))
    status = main(["-v", "sync", "--config", str(config), "--db", str(tmp_path / "ris.db"), "--json"])
    out, err = capsys.readouterr()
    assert status == 3
    assert len(out) < 20_000 and len(err) < 20_000
    for text in (out, err):
        assert "\u202e" not in text
        assert not any(line.startswith(FORGED) for line in text.splitlines())
    with SQLiteStore(tmp_path / "ris.db") as store:
        stored = store.runs("sd", limit=1)[0].report
    assert stored is not None
    (error,) = stored["errors"]
    assert len(error) <= 1100 and expected in error, error[:300]


def test_a_skipped_fault_is_clipped_in_the_report_warning(soap: SoapServer, store: SQLiteStore) -> None:
    soap.fault_text = "Vorlage gesperrt\n" + "y" * 100_000
    soap.fault_operations = ("VorlageLesen",)
    report = _sync(store, soap.wsdl_url)
    assert report.complete, report.errors
    example = report.warnings["soap-fault"]["example"]
    assert len(example) <= 300 and "\n" not in example and example.endswith(" chars)")
    assert len(json.dumps(report.to_json_dict())) < 10_000
