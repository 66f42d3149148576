"""Round trip: sync the served endpoint with the project's own OParl adapter into a second store
and compare with the first store.

The comparison, per published record R1 of the first store (live, not an Appointment):
the second store holds exactly one record R2 with id = the output URL of R1, and the content of
R2 (everything but provenance, raw, created, modified) equals the content of R1 after these
mappings, which are what publishing as OParl means:

* every reference (``Record.REFERENCES``, plus ``Organization.membership``, which holds
  Membership URLs but is not among the model's REFERENCES) is replaced by the output URL of its target; a target
  that is not published (unknown to the first store) is dropped;
* ``body`` is the output URL of the record's Body: its own ``body`` if that Body is live, else the
  only Body of its source, else the made-up Body of the source (Body records have none);
* ``Body.system`` is the output's System;
* ``AgendaItem.order``, where R1 has none, is the item's position in its meeting's agenda;
* ``File.accessUrl``, where R1 has none, is its downloadUrl (then externalServiceUrl, web).

Beyond these, the second store holds only the made-up Bodies and the output's System, whose
facts are those of the first store's System when it has one (one source).
"""

from __future__ import annotations

from typing import Any

from ris_connector.models import Record
from ris_connector.outputs.oparl import OParlApp, create_app, synthetic_body_id
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.ristest import oparl_source
from tests.support.wsgi_serve import serve_wsgi

NON_CONTENT = {"provenance", "raw", "created", "modified"}
EXTRA_REFERENCES = {"Organization": ("membership",)}


def _content(record: Record) -> dict[str, Any]:
    return {k: v for k, v in record.to_json_dict().items() if k not in NON_CONTENT}


def _expected(first: SQLiteStore, app: OParlApp, base: str) -> dict[str, dict[str, Any]]:
    rows = [r for r in first.iter_rows() if r.type not in ("Appointment", "System")]
    live_bodies = {r.id for r in rows if r.type == "Body"}
    bodies_of: dict[str, list[str]] = {}
    for r in rows:
        if r.type == "Body":
            bodies_of.setdefault(r.source, []).append(r.id)
    position: dict[str, int] = {}
    for r in rows:
        if r.type == "Meeting":
            for i, item in enumerate(r.data.get("agendaItem", [])):
                position.setdefault(item, i)

    def url(record_id: str) -> str | None:
        return app.url_for(record_id, base)

    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        own = url(row.id)
        if own is None:
            assert row.type == "File", f"{row.id} is not published"
            continue
        record = row.to_record()
        data = _content(record)
        data["id"] = own
        for name in (*record.REFERENCES, *EXTRA_REFERENCES.get(row.type, ())):
            key = type(record).model_fields[name].alias or name
            value = getattr(record, name)
            if isinstance(value, str):
                mapped = url(value)
                if mapped is None:
                    data.pop(key, None)
                else:
                    data[key] = mapped
            elif isinstance(value, list):
                data[key] = [m for m in (url(v) for v in value) if m]
        if row.type == "Body":
            data["system"] = f"{base}/system"
        else:
            claimed = record.body
            if claimed in live_bodies:
                body = claimed
            elif len(bodies_of.get(row.source, [])) == 1:
                body = bodies_of[row.source][0]
            else:
                body = synthetic_body_id(row.source)
            data["body"] = url(body)
        if row.type == "AgendaItem" and data.get("order") is None:
            data["order"] = position.get(row.id, 0)
        if row.type == "File" and data.get("accessUrl") is None:
            data["accessUrl"] = next(data[k] for k in ("downloadUrl", "externalServiceUrl", "web") if data.get(k))
        out[own] = data
    return out


def test_round_trip_reproduces_the_records(filled_store: SQLiteStore, tmp_path: Any) -> None:
    app = create_app(filled_store)
    with serve_wsgi(app) as base, SQLiteStore(tmp_path / "second.db") as second:
        report = run_source(oparl_source(f"{base}/system", name="roundtrip"), second)
        assert report.complete, report.errors
        assert report.total("quarantined") == 0
        assert report.missing_references == 0
        expected = _expected(filled_store, app, base)
        actual = {r.id: _content(r.to_record()) for r in second.iter_rows() if r.type != "System"}
        made_up = {str(app.url_for(e.id, base)) for e in app.index().entries.values() if e.synthetic}
        (served_system,) = [r.data for r in second.iter_rows(type_name="System")]
    assert set(actual) == set(expected) | made_up
    assert served_system["id"] == f"{base}/system"
    source_systems = [r.data for r in filled_store.iter_rows(type_name="System")]
    facts = ("name", "contactEmail", "contactName", "license", "website", "vendor", "product", "web")
    if source_systems:  # the one source's facts pass through
        assert {k: served_system.get(k) for k in facts} == {k: source_systems[0].get(k) for k in facts}
        assert served_system.get("license")
    else:
        assert served_system["name"] == "ris-connector"
    assert all(actual[u]["type"] == "Body" for u in made_up)
    differences = {
        url: {
            k: (expected[url].get(k), actual[url].get(k))
            for k in expected[url].keys() | actual[url].keys()
            if expected[url].get(k) != actual[url].get(k)
        }
        for url in expected
        if expected[url] != actual[url]
    }
    assert not differences, dict(list(differences.items())[:3])
    assert len(expected) >= 5  # guards against comparing two empty stores
    published = {row.type for row in filled_store.iter_rows()} - {"Appointment", "System"}
    assert published <= {d["type"] for d in expected.values()} | {"Body"}
