"""A bad value costs the value, not the record: SOAP.

The Sitzungsdienst test server (``tests/support/soap_server.py``, a real SOAP server on
127.0.0.1) answers with one value of one record spoiled in every way hypothesis finds: odd,
long, control and bidi text, values not of their WSDL type, the element repeated where one
belongs, nested elements, nil. Each example is a full sync through the engine into a fresh
SQLite file: the record must be stored with its other fields as in a clean run, the run must
complete, and a value that vanished must be counted as a notice.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.mapping import load_mapping
from ris_connector.normalize.text import clean_text
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport, run_source
from tests.support.mapping_runs import fields_fed
from tests.support.ristest import FAST_HTTP
from tests.support.soap_server import Raw, Row, SoapData, SoapServer, default_data
from tests.support.spoil import text_spoilers

#: Generated answers per record (each one a whole sync: about 0.1 s).
EXAMPLES = 40
NOW = datetime(2024, 4, 10, 8, 0, tzinfo=timezone.utc)
MAPPING = load_mapping("sitzungsdienst")
#: Codes that count a value the SOAP path could not take as it came.
TOLD = {
    "soap-invalid-value",
    "soap-unexpected-elements",
    "invalid-value",
    "placeholder",
    "control-characters",
    "unsafe-url",
    "url-repaired",
}


def _meeting(data: SoapData) -> Row:
    return data["meetings"][0]


def _agenda_item(data: SoapData) -> Row:
    return data["agendas"][301][1]


def _paper(data: SoapData) -> Row:
    return data["papers"][501]


def _file(data: SoapData) -> Row:
    return data["documents"][501][0]


#: record -> (where it is in the server's data, its type, its native id, the operation's record spec type)
RECORDS = {
    "meeting": (_meeting, "Meeting", 301),
    "agenda-item": (_agenda_item, "AgendaItem", 3012),
    "paper": (_paper, "Paper", 501),
    "file": (_file, "File", 9001),
}


def _feeds(type_name: str) -> dict[str, set[str]]:
    """Server field -> record fields it feeds."""
    return fields_fed(MAPPING, type_name)


@pytest.fixture(scope="module")
def soap() -> Iterator[SoapServer]:
    server = SoapServer(window=False).start()  # a spoiled beginn must not take the meeting out of the answer
    yield server
    server.stop()


def _sync(server: SoapServer, folder: Path, data: SoapData) -> tuple[RunReport, SQLiteStore]:
    server.data = data
    store = SQLiteStore(folder / "soap.db")
    source = source_from_mapping(
        {"name": "sd", "adapter": "soap", "mapping": "sitzungsdienst", "url": server.wsdl_url, "http": FAST_HTTP}
    )
    return run_source(source, store, clock=FixedClock(NOW)), store


values = st.one_of(
    text_spoilers,
    st.lists(text_spoilers, min_size=2, max_size=3),  # the element repeated where one belongs
    st.none(),  # xsi:nil
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(text_spoilers, min_size=1, max_size=2).map(
        lambda texts: Raw("".join(f"<sd:teil>{escape(t)}</sd:teil><sd:leer/>" for t in texts))
    ),
    text_spoilers.map(lambda t: Raw(f"<![CDATA[{t.replace(']]>', '')}]]>")),
)


def _says_something(value: Any) -> bool:
    """Whether a value holds text a reader could miss without telling.

    Nested elements inside an element the WSDL types as simple are read by zeep as that
    element's own text (none): a known limit, so they count as saying nothing here.
    """
    if isinstance(value, Raw):
        return value.startswith("<![CDATA[") and clean_text(value[9:-3]) is not None
    if isinstance(value, list):
        return any(_says_something(v) for v in value)
    if value is None or isinstance(value, bool):
        return value is not None
    return clean_text(str(value)) is not None


@pytest.fixture(scope="module")
def clean(soap: SoapServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each record as a sync of the unspoiled answers stores it."""
    report, store = _sync(soap, tmp_path_factory.mktemp("clean"), default_data())
    try:
        assert report.complete, report.errors
        rows = {which: store.get(f"urn:ris:sd:{kind}:{native}") for which, (_, kind, native) in RECORDS.items()}
    finally:
        store.close()
    assert all(rows.values())
    return {which: row.data for which, row in rows.items() if row is not None}


@pytest.mark.parametrize("which", sorted(RECORDS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_one_spoiled_value_in_a_soap_answer_costs_only_that_value(
    soap: SoapServer,
    clean: dict[str, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    which: str,
    data: st.DataObject,
) -> None:
    where, type_name, native = RECORDS[which]
    before = clean[which]
    feeds = _feeds(type_name)
    server_data = default_data()
    record = where(server_data)
    key = data.draw(st.sampled_from(sorted(k for k in record if k != "id")), label="field")
    spoiled = data.draw(values, label="value")
    record[key] = copy.deepcopy(spoiled)

    report, store = _sync(soap, tmp_path_factory.mktemp("spoiled"), server_data)
    try:
        assert report.complete, report.errors
        rid = f"urn:ris:sd:{type_name}:{native}"
        assert not [q for q in store.quarantined() if q["ref"] == rid], "the record was quarantined"
        row = store.get(rid)
        assert row is not None, f"{rid} is missing"
        after = row.data
    finally:
        store.close()
    affected = {f.replace("_", "").lower() for f in feeds.get(key, set())}
    for field in set(before) | set(after):
        if field.lower() not in affected and field != "provenance":
            assert after.get(field) == before.get(field), f"{field} changed when {key} was spoiled"
    lost = [f for f in before if f.lower() in affected and f not in after]
    if lost and _says_something(spoiled):
        assert TOLD & set(report.warnings), f"{lost} vanished without a notice: {report.warnings}"
