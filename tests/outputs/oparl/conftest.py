"""Stores filled from different kinds of source, for the OParl output tests.

``SOURCES`` maps a name to a loader ``(store, oparl_server) -> None``; every test that takes
the ``filled_store`` fixture runs once per entry. An XML or iCalendar source joins the round
trip and the schema walk by adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.ics_server import IcsServer
from tests.support.ristest import FAST_HTTP, FIXTURES, sync
from tests.support.static_server import Page, StaticServer
from tests.support.urn_source import sync_urn


def _oparl_sample(store: SQLiteStore, oparl_server: Callable[..., Any]) -> None:
    server = oparl_server(version="1.1", scale=0.01)
    report = sync(server, store)
    assert report.complete


def _urn_adapter(store: SQLiteStore, oparl_server: Callable[..., Any]) -> None:
    sync_urn(store)


def _ics_feed(store: SQLiteStore, oparl_server: Callable[..., Any]) -> None:
    """An ALLRIS 4 style calendar feed: meetings with urn: ids and no body."""
    feed = (FIXTURES / "ics" / "allris4_SiKalAbo.ics").read_text(encoding="utf-8")
    with IcsServer() as server:
        url = server.put("/public/ics/SiKalAbo.ics", feed)
        source = source_from_mapping({"name": "kalender", "adapter": "ics", "url": url, "http": FAST_HTTP})
        report = run_source(source, store)
    assert report.complete and report.total("created") > 0


def _xml_allris3(store: SQLiteStore, oparl_server: Callable[..., Any]) -> None:
    """ALLRIS 3 XML template pages with the shipped mapping: urn: ids, committees keyed by name."""
    folder = FIXTURES / "xml" / "allris3"
    ctype = "text/xml; charset=ISO-8859-1"
    pages = {f"/bi/{n}.asp": Page((folder / f"{n}.xml").read_bytes(), ctype) for n in ("si010", "to010", "vo040")}
    server = StaticServer(pages).start()
    try:
        bi = server.url("/bi/")
        source = source_from_mapping(
            {
                "name": "musterstadt",
                "adapter": "xml",
                "mapping": "allris3",
                "url": bi + "si010.asp?selfaction=ws&template=xyz&showall=true",
                "urls": [
                    bi + "to010.asp?selfaction=ws&template=xyz&SILFDNR=5001",
                    bi + "vo040.asp?selfaction=ws&template=xyz",
                ],
                "http": FAST_HTTP,
            }
        )
        report = run_source(source, store)
    finally:
        server.stop()
    assert report.complete and report.total("created") > 0


SOURCES: dict[str, Callable[[SQLiteStore, Callable[..., Any]], None]] = {
    "oparl-sample": _oparl_sample,
    "urn-adapter": _urn_adapter,
    "ics-feed": _ics_feed,
    "xml-allris3": _xml_allris3,
}


@pytest.fixture(params=sorted(SOURCES))
def filled_store(request: pytest.FixtureRequest, oparl_server: Any, tmp_path: Path) -> Iterator[SQLiteStore]:
    """A SQLite store synced from one kind of source (parametrized over ``SOURCES``)."""
    store = SQLiteStore(tmp_path / f"first-{request.param}.db")
    SOURCES[request.param](store, oparl_server)
    yield store
    store.close()
