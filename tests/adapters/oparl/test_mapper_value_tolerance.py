"""A bad value costs the value, not the record: OParl.

Valid objects (the OParl 1.1 examples and real Karlsruhe meetings) get one optional field
spoiled in every way hypothesis finds (wrong JSON type, nesting, huge and non-finite numbers,
odd, long, control and bidi strings, bad dates and URLs). The record must survive with every
other field as before, and a value that vanished must be counted as a notice naming the field.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ris_connector.adapters.base import Item, Notice, Rejected, Tombstone
from ris_connector.adapters.oparl.mapper import OParlMapper
from ris_connector.clock import FixedClock
from ris_connector.models import Record
from tests.support.ristest import FIXTURES
from tests.support.spoil import json_spoilers

SPEC = FIXTURES / "oparl-spec" / "json-schema-draft-7" / "examples"
KARLSRUHE = FIXTURES / "oparl-real" / "karlsruhe-oparl-syndication" / "docs" / "meetings"

#: Generated spoiled values per object (kept small: the suite runs on two shared cores).
EXAMPLES = 150

#: Fields whose value another field of the same record is derived from (or that fall back to it).
DERIVED = {
    "start": {"status", "end"},
    "end": {"status"},
    "name": {"status"},
    "meetingState": {"status"},
    "cancelled": {"status"},
    "invitation": {"status"},
    "resultsProtocol": {"status"},
    "verbatimProtocol": {"status"},
    "created": {"modified"},
    "modified": {"created"},
    "location": {"location"},
    "locationObject": {"location"},
    "geometry": {"geojson"},
    "downloadUrl": {"downloadUrl"},
}
#: Keys that are the object's identity or change what it is (not optional values).
IDENTITY = {"id", "type", "deleted", "$schema"}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.pop("$schema", None)
    return data


def _objects() -> dict[str, dict[str, Any]]:
    objects = {p.stem: _load(p) for p in sorted(SPEC.glob("*.json")) if not p.stem.startswith("System")}
    objects["AgendaItem-01"] = _load(SPEC / "Meeting-01.json")["agendaItem"][0]
    for name in ("2310", "5654", "10022"):
        objects[f"karlsruhe-meeting-{name}"] = _load(KARLSRUHE / f"{name}.json")
    return objects


OBJECTS = _objects()


def _normalizer() -> OParlMapper:
    return OParlMapper(
        source="spoil",
        tz=ZoneInfo("Europe/Berlin"),
        clock=FixedClock(datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc)),
        scheme_for={},
    )


def _items(obj: dict[str, Any]) -> list[Item]:
    return list(_normalizer().items(obj, body="https://oparl.example.org/bodies/1", url="https://oparl.example.org/x"))


def _main(items: list[Item], obj: dict[str, Any]) -> Record:
    rid = obj["id"]
    found = [i for i in items if isinstance(i, Record) and i.id == rid]
    rejected = [i for i in items if isinstance(i, Rejected) and i.ref == rid]
    assert not rejected, f"the record was quarantined: {rejected[0].reason}"
    assert len(found) == 1, f"the record is missing: {[type(i).__name__ for i in items]}"
    return found[0]


def _empty(value: Any) -> bool:
    """Whether a value says nothing (no notice is owed for leaving it out)."""
    if isinstance(value, list):
        return all(_empty(v) for v in value)
    return value is None or value == {} or (isinstance(value, str) and not value.strip())


def _check(name: str, key: str, spoiled: Any) -> None:
    obj = OBJECTS[name]
    clean = _main(_items(obj), obj).to_json_dict()
    bad = copy.deepcopy(obj)
    bad[key] = spoiled
    items = _items(bad)
    assert not [i for i in items if isinstance(i, Tombstone)]
    record = _main(items, bad)
    data = record.to_json_dict()
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # storable text
    record.content_hash()
    skip = {key, "provenance"} | DERIVED.get(key, set())
    for field in set(clean) | set(data):
        if field not in skip:
            assert data.get(field) == clean.get(field), f"{field} changed when {key} was spoiled"
    if key not in data and not _empty(spoiled) and key in clean:
        # counted: a notice naming the field, or an embedded object quarantined on its own
        told = [i.message for i in items if isinstance(i, Notice)]
        told += [i.reason for i in items if isinstance(i, Rejected)]
        # URL fields: the model drops what is no http(s) URL; the engine counts it (unsafe-url)
        told += [f"{name.replace('_', '')}: {code}" for code, name, _ in record.url_notes or ()]
        bare = key.lower()
        assert any(key in m or bare in m.lower() for m in told), f"{key}={spoiled!r:.80} vanished unnoticed: {told}"


CASES = [(name, key) for name, obj in OBJECTS.items() for key in obj if key not in IDENTITY]


@pytest.mark.parametrize("name", sorted(OBJECTS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_spoiled_optional_value_costs_only_that_value(name: str, data: st.DataObject) -> None:
    keys = [*sorted(k for k in OBJECTS[name] if k not in IDENTITY), "shortName", "keyword", "web", "number"]
    key = data.draw(st.sampled_from(keys), label="field")
    spoiled = data.draw(json_spoilers, label="value")
    _check(name, key, spoiled)


def test_through_the_engine_the_report_counts_what_was_dropped(tmp_path: Path) -> None:
    """A real OParl server on 127.0.0.1 whose papers hold values that used to cost the record."""
    from ris_connector.config import source_from_mapping
    from ris_connector.store import SQLiteStore
    from ris_connector.sync import run_source
    from tests.support.fuzz_cases import FUZZ_HTTP, oparl_routes
    from tests.support.raw_server import RawServer, answer

    server = RawServer().start()
    try:
        routes = oparl_routes(server.base)
        page = json.loads(routes["/oparl/papers"].body)
        spoiled = page["data"][0]
        spoiled.update(
            date="kein Datum",
            web="javascript:alert(1)",
            mainFile={"id": f"{server.base}/oparl/files/1", "type": "File", "accessUrl": "http://[::1/x"},
            auxiliaryFile=[5, True],
        )
        routes["/oparl/papers"] = answer(200, json.dumps(page).encode(), b"application/json")
        server.serve(routes)
        source = source_from_mapping(
            {"name": "spoil", "adapter": "oparl", "url": f"{server.base}/oparl/system", "http": FUZZ_HTTP}
        )
        with SQLiteStore(tmp_path / "spoil.db") as store:
            report = run_source(source, store)
            paper = store.get(spoiled["id"])
            file = store.get(f"{server.base}/oparl/files/1")
    finally:
        server.stop()
    assert report.complete and report.total("quarantined") == 0, (report.errors, report.counts)
    assert paper is not None and file is not None
    assert paper.data["name"] == spoiled["name"] and "date" not in paper.data and "web" not in paper.data
    assert paper.data["mainFile"] == file.id and "accessUrl" not in file.data
    warnings = report.warnings
    assert warnings["invalid-value"]["count"] == 4  # date, accessUrl, the two auxiliary files
    assert warnings["unsafe-url"]["count"] == 1  # the javascript: web
    assert "date: 'kein Datum' is not a date; dropped" in str([w["example"] for w in warnings.values()])
