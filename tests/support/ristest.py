"""Helpers for the test-suite (import as ``tests.support.ristest``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ris_connector.config import SourceConfig, source_from_mapping
from ris_connector.models import Record
from ris_connector.sample.server import OParlServer
from ris_connector.store import Store
from ris_connector.sync import RunReport, run_source
from tests.support.static_server import Page

#: The repository (docs/, ris_connector/...), the test data under tests/fixtures, the design material beside it.
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"

#: The ``oparl_server`` fixture: ``oparl_server(scale=0.01, quirks=[...], vendor=...)`` starts one.
OParlFactory = Callable[..., OParlServer]

_R = TypeVar("_R", bound=Record)


def record_of(store: Store, record_id: str, kind: type[_R]) -> _R:
    """The stored record ``record_id`` as its model; the test fails if it is missing or of another type."""
    row = store.get(record_id)
    assert row is not None, f"{record_id} is not stored"
    record = row.to_record()
    assert isinstance(record, kind), f"{record_id} is a {type(record).__name__}, not a {kind.__name__}"
    return record


#: HTTP settings for local test servers: no politeness delay, quick retries.
FAST_HTTP: dict[str, Any] = {
    "rate_limit": 0,
    "backoff_initial": 0.01,
    "backoff_max": 0.05,
    "read_timeout": 10,
    "deadline": 20,
}


def oparl_source(url: str, name: str = "test", **extra: Any) -> SourceConfig:
    """A source config for a local OParl server with fast HTTP settings."""
    http = {**FAST_HTTP, **extra.pop("http", {})}
    return source_from_mapping({"name": name, "adapter": "oparl", "url": url, "http": http, **extra})


def sync(server: OParlServer, store: Store, *, full: bool | None = None, **extra: Any) -> RunReport:
    """Run one sync of ``server`` into ``store``."""
    return run_source(oparl_source(server.system_url, **extra), store, full=full)


def allris3_pages() -> dict[str, Page]:
    """The ALLRIS 3 XML template pages of tests/fixtures/xml/allris3 as the vendor serves them
    (ISO-8859-1 label, cp1252 bytes), by path, for a :class:`static_server.StaticServer`."""
    folder = FIXTURES / "xml" / "allris3"
    ctype = "text/xml; charset=ISO-8859-1"
    return {f"/bi/{n}.asp": Page((folder / f"{n}.xml").read_bytes(), ctype) for n in ("si010", "to010", "vo040")}


def allris3_source(base: str, **extra: Any) -> SourceConfig:
    """The XML source ``musterstadt`` reading :func:`allris3_pages` under ``base`` (``.../bi/``)."""
    raw = {
        "name": "musterstadt",
        "adapter": "xml",
        "mapping": "allris3",
        "url": base + "si010.asp?selfaction=ws&template=xyz&showall=true",
        "urls": [
            base + "to010.asp?selfaction=ws&template=xyz&SILFDNR=5001",
            base + "vo040.asp?selfaction=ws&template=xyz",
        ],
        "http": FAST_HTTP,
    }
    return source_from_mapping({**raw, **extra})
