"""The built-in ``ics``, ``xml`` and ``soap`` adapters pass the adapter test kit, live.

Live rather than recorded, as for OParl (tests/testing/test_runner_oparl.py): the test servers in
tests/support are deterministic, start in milliseconds and serve the fixtures the adapters'
own tests use, so a cassette would only duplicate them. The kit's fault proxy forwards to them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ris_connector.adapters.base import Adapter, Item
from ris_connector.models import Meeting, Organization, Provenance, Record
from ris_connector.sync import RunReport
from ris_connector.testing import AdapterContract, KitSpec, Scenario, verify_adapter
from ris_connector.testing.checks import check_ids_no_text, check_incremental_subset
from ris_connector.testing.runner import RunResult
from tests.support.ics_server import IcsServer
from tests.support.ristest import FIXTURES
from tests.support.soap_server import SoapServer
from tests.support.static_server import Page, StaticServer

ALLRIS3 = FIXTURES / "xml" / "allris3"


class TestIcsAdapterKit(AdapterContract):
    """An ALLRIS 4 meeting calendar feed (always a complete listing: every run is full)."""

    adapter = "ics"
    source = {"name": "kit-ics", "url": "{base}/public/ics/SiKalAbo.ics"}
    start = datetime(2026, 5, 20, 10, 0, tzinfo=timezone.utc)

    @contextmanager
    def live_server(self) -> Iterator[str]:
        with IcsServer() as server:
            server.put("/public/ics/SiKalAbo.ics", (FIXTURES / "ics" / "allris4_SiKalAbo.ics").read_text("utf-8"))
            yield server.url("")


class TestXmlAdapterKit(AdapterContract):
    """ALLRIS 3 XML template pages with the shipped ``allris3`` mapping (no date window: runs are full)."""

    adapter = "xml"
    source = {
        "name": "kit-xml",
        "mapping": "allris3",
        "url": "{base}/bi/si010.asp?selfaction=ws&template=xyz&showall=true",
        "urls": [
            "{base}/bi/to010.asp?selfaction=ws&template=xyz&SILFDNR=5001",
            "{base}/bi/vo040.asp?selfaction=ws&template=xyz",
        ],
    }
    start = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)

    @contextmanager
    def live_server(self) -> Iterator[str]:
        ctype = "text/xml; charset=ISO-8859-1"
        pages = {f"/bi/{n}.asp": Page((ALLRIS3 / f"{n}.xml").read_bytes(), ctype) for n in ("si010", "to010", "vo040")}
        server = StaticServer(pages).start()
        try:
            yield server.base
        finally:
            server.stop()


class TestSoapAdapterKit(AdapterContract):
    """The Sitzungsdienst SOAP service with the shipped ``sitzungsdienst`` mapping (a date window)."""

    adapter = "soap"
    source = {"name": "kit-soap", "mapping": "sitzungsdienst", "url": "{base}/sitzungsdienst?wsdl"}
    start = datetime(2024, 4, 10, 8, 0, tzinfo=timezone.utc)

    @contextmanager
    def live_server(self) -> Iterator[str]:
        server = SoapServer().start()
        try:
            yield server.url.rsplit("/", 1)[0]
        finally:
            server.stop()


def test_soap_kit_records_and_replays_a_cassette(tmp_path: Path) -> None:
    """SOAP calls are POSTs to one address: the cassette and the fault proxy tell them apart by body."""
    spec = dataclasses.replace(
        TestSoapAdapterKit.kit_spec(), cassette=tmp_path / "soap.yaml", faults=("http-500", "invalid-payload")
    )
    recorded = verify_adapter(spec, tmp_path / "record", record=True)
    assert recorded.failed == {}
    replayed = verify_adapter(spec, tmp_path / "replay")  # offline: the live server is not started
    assert replayed.failed == {}, replayed.failed
    first = replayed.scenario.runs["first full run"]
    assert sorted(r.id for r in first.records) == sorted(r.id for r in recorded.scenario.runs["first full run"].records)
    types = [r.type for r in first.records]
    assert (types.count("Meeting"), types.count("Paper"), types.count("File")) == (3, 3, 2)
    assert replayed.scenario.faults["http-500"].fault_request.startswith("POST /sitzungsdienst #")


class _Demo(Adapter):
    """The adapter a hand-made scenario names (the checks below read its results, never run it)."""

    name = "demo"

    def fetch(self) -> Iterator[Item]:
        yield from ()


def _name_scenario(*records: Record) -> Scenario:
    spec = KitSpec(adapter="demo", source={})
    first = RunResult("first full run", full=True, items=list(records))
    return Scenario(spec, _Demo, "http://127.0.0.1", runs={"first full run": first})


def test_ids_may_hold_the_name_only_when_the_source_keys_the_object_by_it() -> None:
    """A committee only named in a listing, a calendar's LOCATION text: the name is the source's key.
    An id built from another key that adds the title is still a fault."""
    at = datetime(2026, 1, 15, tzinfo=timezone.utc)

    def prov(native: str) -> Provenance:
        return Provenance(source="demo", adapter="demo", original_id=native, fetched_at=at)

    by_name = Organization(
        id="urn:ris:demo:Organization:Rat%20der%20Stadt", name="Rat der Stadt", provenance=prov("Rat  der Stadt")
    )
    titled = Meeting(
        id="urn:ris:demo:Meeting:17-haushaltsberatung", name="Haushaltsberatung", start=at, provenance=prov("17")
    )
    assert check_ids_no_text(_name_scenario(by_name)) == []
    assert check_ids_no_text(_name_scenario(by_name, titled)) == [
        "Meeting urn:ris:demo:Meeting:17-haushaltsberatung: id contains words of the title "
        "'Haushaltsberatung': haushaltsberatung"
    ]


def test_incremental_check_when_every_run_is_full() -> None:
    """A feed or an export without a date window has no incremental runs: the third run is full and
    passes when it yields what the full run did; other adapters must not run full there."""
    at = datetime(2026, 1, 15, tzinfo=timezone.utc)
    m1, m2 = (Meeting(id=f"urn:ris:demo:Meeting:{n}", start=at) for n in (1, 2))

    def scenario(always_full: bool, *third: Record) -> Scenario:
        s = _name_scenario(m1, m2)
        s.always_full = always_full
        report = RunReport("demo", "demo", True, at.isoformat(), status="complete")
        s.runs["incremental run"] = RunResult("incremental run", full=True, report=report, items=list(third))
        return s

    assert check_incremental_subset(scenario(True, m1, m2)) == []
    assert check_incremental_subset(scenario(True, m1)) == [
        "the third run (full: the adapter says every run is full) lacks urn:ris:demo:Meeting:2, "
        "which the first full run yielded"
    ]
    assert check_incremental_subset(scenario(False, m1, m2)) == ["the incremental run ran as a full run"]
