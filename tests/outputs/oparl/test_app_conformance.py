"""Conformance of the OParl output with OParl 1.1, over a real crawl and the synthetic town.

Each dataset is synced with a fixed clock at T0, changed at the source (objects updated, embedded
objects changed, meetings and papers deleted, a meeting added) and synced again at T1. After each
sync the whole endpoint is walked over HTTP (every list page and every object at its own URL) and
checked against the 1.1 JSON Schema (``tests/fixtures/oparl-spec``) and the rules the schema cannot
state, taken from the specification's text:

* **extensions**: every property outside the type's schema carries the vendor prefix ``ris:``
  ("Herstellerspezifische Erweiterungen") and is one the documentation names;
* **URL forms**: ids are ``<base>/<type>/<key>``, references and list URLs lie below the base,
  every ``format: url`` property holds an http(s) URL;
* **embedding**: back-reference lists of Files and Locations only outside a parent ("Wird nur dann
  ausgegeben, wenn das Objekt nicht als eingebettetes Objekt aufgerufen wird"); references that
  must be given only when an object is read on its own are present then, and inside a parent never
  name that parent; otherwise an embedded object is exactly the object at its own URL, and its
  ``modified`` is not later than there nor than its parent's;
* **pagination**: ``links`` ``first``/``prev``/``self``/``next``/``last`` and ``pagination`` counts
  agree with the pages, also with filters and ``limit``;
* **filters**: ``created_since``/``created_until``/``modified_since``/``modified_until`` select by the
  served times (bounds inclusive); deleted objects appear with ``modified_since`` as tombstones
  (``deleted: true``, nothing but id, type, created, modified), never in unfiltered lists;
* **modified**: every object whose served JSON changed between the two walks has ``modified`` >= T1;
  one whose JSON did not change keeps its ``modified`` unless its stored record changed (or, for a
  File or Location, a record its back-reference list names: the list is dated by its members).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from ris_connector.clock import FixedClock
from ris_connector.outputs.oparl import OParlApp, create_app
from ris_connector.outputs.oparl.catalogue import BODY_LISTS
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.oparl_schema import problems, schema, type_name
from tests.support.oparl_walk import Walk, walk
from tests.support.real_oparl import RealOParl
from tests.support.ristest import oparl_source
from tests.support.wsgi_serve import serve_wsgi

T0 = datetime(2027, 1, 10, 10, 0, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=1)
LISTS = BODY_LISTS
#: Given only when the object is not embedded (OParl 1.1.1, strings.yml: File.meeting, Location.bodies...).
STANDALONE_ONLY = {
    "File": {"meeting", "agendaItem", "paper", "person"},
    "Location": {"bodies", "organizations", "persons", "meetings", "papers"},
}
#: Must be given when the object is read on its own ("muss nur dann ausgegeben werden, wenn das
#: Objekt einzeln abgerufen wird"); the output leaves them out inside the parent they name.
ON_ITS_OWN = {
    "AgendaItem": {"meeting"},
    "Consultation": {"paper", "agendaItem", "meeting"},
    "LegislativeTerm": {"body"},
    "Membership": {"person"},
}
#: The extension properties the documentation (docs/outputs/oparl.md) names, without the prefix.
EXTENSIONS = {
    "originalId", "sourceCreated", "sourceModified", "originalAccessUrl", "originalDownloadUrl", "description",
    "license", "web", "website", "fileLicense", "vendor", "product", "accessUrl", "downloadUrl", "externalServiceUrl",
}  # fmt: skip
TOMBSTONE_KEYS = {"id", "type", "created", "modified", "deleted"}


@dataclass
class Crawl:
    """One dataset: the store, the served app and what two walks saw."""

    name: str
    store: SQLiteStore
    app: OParlApp
    base: str
    first: Walk
    second: Walk
    changed_at_t1: set[str]
    """Store ids whose record changed at T1 (``records.last_changed``)."""


def _sync(url: str, store: SQLiteStore, at: datetime) -> None:
    report = run_source(oparl_source(url, name="src"), store, clock=FixedClock(at))
    assert report.complete, report.errors
    assert report.total("quarantined") == 0


def _change_town(server: OParlServer) -> None:
    """Changes a real server sees: an embedded Location and File renamed, a meeting, an agenda item
    and a paper deleted, a meeting added in a room other meetings use, an organization renamed."""
    ds = server.dataset
    at = T1 - timedelta(minutes=10)
    meetings = [m for m in ds.ids("Meeting") if isinstance(ds.get(m).get("location"), str)]
    with_files = [m for m in meetings if isinstance(ds.get(m).get("invitation"), str)]
    with_items = [m for m in meetings if ds.get(m).get("agendaItem") and m not in with_files[:1]]
    ds.update(ds.get(meetings[0])["location"], modified=at, description="Rathaus, Raum 101 (neu)")
    ds.update(ds.get(with_files[0])["invitation"], modified=at, name="Einladung (berichtigt)")
    ds.delete(ds.get(with_items[1])["agendaItem"][0], modified=at)
    shared = ds.get(meetings[2])["location"]
    ds.delete(meetings[-1], modified=at)
    ds.delete(ds.ids("Paper")[3], modified=at)
    ds.update(ds.ids("Organization")[0], modified=at, name="Hauptausschuss (umbenannt)")
    ds.add(
        {"type": "Meeting", "name": "Sondersitzung", "location": shared, "start": "2027-01-20T17:00:00+01:00",
         "organization": [ds.ids("Organization")[-1]]},
        modified=at,
    )  # fmt: skip


def _change_real(real: RealOParl) -> None:
    at = (T1 - timedelta(minutes=10)).isoformat()
    real.delete(f"{real.prefix}/meetings/2310", at)
    real.delete(f"{real.prefix}/papers/vo/47345", at)
    real.update(f"{real.prefix}/files/617587", at, name="Tagesordnung (berichtigt)")
    real.update(f"{real.prefix}/locations/si/5654", at, description="Bürgersaal (umgebaut)")
    real.update(f"{real.prefix}/organizations/at/883022", at, name="Behindertenbeauftragte (neu)")


def _crawl(name: str, tmp: Path) -> Iterator[Crawl]:
    store = SQLiteStore(tmp / f"{name}.db")
    if name == "town":
        source: Any = OParlServer(version="1.1", scale=0.01, now=T0 - timedelta(days=1)).start()
    else:
        source = RealOParl(page_size=50)
    try:
        _sync(source.system_url, store, T0)
        app = create_app(store)
        with serve_wsgi(app) as base:
            first = walk(f"{base}/system", base)
            _change_town(source) if name == "town" else _change_real(source)
            _sync(source.system_url, store, T1)
            second = walk(f"{base}/system", base)
            ids = [r.id for r in store.iter_rows(include_deleted=True)]
            changed = {i for i, (_, last) in store.record_times(ids).items() if _dt(last) >= T1}
            yield Crawl(name, store, app, base, first, second, changed)
    finally:
        source.stop()
        store.close()


@pytest.fixture(scope="module", params=["real", "town"])
def crawl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    yield from _crawl(request.param, tmp_path_factory.mktemp(request.param))


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


Located = tuple[dict[str, Any], dict[str, Any] | None]


def _objects(value: Any, parent: dict[str, Any] | None = None) -> Iterator[Located]:
    """(object, the object it is embedded in) for every object inside ``value``."""
    if isinstance(value, dict):
        is_object = "id" in value and "type" in value
        if is_object:
            yield value, parent
        for key, item in value.items():
            if key != "data":
                yield from _objects(item, value if is_object else parent)
            else:
                yield from _objects(item, None)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item, parent)


def _standalone(w: Walk) -> dict[str, dict[str, Any]]:
    return {url: doc for url, doc in w.documents.items() if "data" not in doc}


def _url_properties(type_short: str) -> dict[str, bool]:
    """``format: url`` properties of a type -> whether they reference an object or list (below the base)."""
    out: dict[str, bool] = {}
    for key, spec in schema(type_short)["properties"].items():
        items = spec.get("items") or {}
        if spec.get("format") == "url" or items.get("format") == "url":
            out[key] = key == "id" or "references" in spec or "references" in items
    return out


# --- per object ------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["first", "second"])
def test_every_object_fits_the_schema_the_prefix_and_the_url_forms(crawl: Crawl, which: str) -> None:
    w: Walk = getattr(crawl, which)
    bad: list[str] = []
    checked: set[str] = set()
    for obj in w.objects:
        found = problems(obj)
        bad += [f"{obj['id']}: {p}" for p in found]
        short = type_name(obj)
        checked.add(short)
        if obj.get("deleted"):
            continue
        known = set(schema(short)["properties"])
        for key in set(obj) - known:
            if not key.startswith("ris:") or key[4:] not in EXTENSIONS:
                bad.append(f"{obj['id']}: {key!r} is not in the 1.1 schema and not a documented ris: property")
        word = "system" if short == "System" else short.lower()
        pattern = rf"{re.escape(crawl.base)}/{word}" + ("" if short == "System" else r"/[0-9a-f]{20}")
        if not re.fullmatch(pattern, obj["id"]):
            bad.append(f"{obj['id']}: id not of the form {pattern}")
        for key, internal in _url_properties(short).items():
            values = obj.get(key)
            for value in values if isinstance(values, list) else [values] if values is not None else []:
                parts = urlsplit(value) if isinstance(value, str) else None
                if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
                    bad.append(f"{obj['id']}: {key} = {value!r} is not an http(s) URL")
                elif internal and not value.startswith(crawl.base + "/"):
                    bad.append(f"{obj['id']}: {key} = {value!r} does not lie below the base")
    assert not bad, bad[:10]
    wanted = {"System", "Body", "Organization", "Meeting", "Paper", "AgendaItem", "Consultation", "File", "Location"}
    if crawl.name == "town":
        wanted |= {"Person", "Membership", "LegislativeTerm"}
    assert wanted <= checked


@pytest.mark.parametrize("which", ["first", "second"])
def test_embedded_objects_follow_the_embedding_rules(crawl: Crawl, which: str) -> None:
    w: Walk = getattr(crawl, which)
    own = _standalone(w)
    bad: list[str] = []
    embedded_types: set[str] = set()
    standalone_backrefs: set[str] = set()
    alone_refs: list[tuple[dict[str, Any], str]] = []
    for doc in w.documents.values():
        for obj, parent in _objects(doc):
            short = type_name(obj)
            if parent is None:
                standalone_backrefs |= set(obj) & STANDALONE_ONLY.get(short, set())
                if short in ON_ITS_OWN and not obj.get("deleted") and short != "LegislativeTerm":
                    alone_refs += [(obj, key) for key in ON_ITS_OWN[short]]
                continue
            embedded_types.add(short)
            leaked = set(obj) & STANDALONE_ONLY.get(short, set())
            bad += [f"{obj['id']} in {parent['id']}: back-references {sorted(leaked)}"] if leaked else []
            for key in ON_ITS_OWN.get(short, set()):
                if obj.get(key) == parent["id"]:
                    bad.append(f"{obj['id']} in {parent['id']}: {key} names the parent")
            alone = own[obj["id"]]
            dropped = STANDALONE_ONLY.get(short, set()) | {"modified"}
            dropped |= {k for k in ON_ITS_OWN.get(short, set()) if alone.get(k) == parent["id"]}
            if {k: v for k, v in alone.items() if k not in dropped} != {
                k: v for k, v in obj.items() if k not in dropped
            }:
                bad.append(f"{obj['id']} in {parent['id']}: differs from the object at its own URL")
            if _dt(obj["modified"]) > _dt(alone["modified"]) or _dt(obj["modified"]) > _dt(parent["modified"]):
                bad.append(f"{obj['id']} in {parent['id']}: modified later than at its own URL or than the parent")
    # Read on its own, such an object names every one of these it has (when that one is published).
    stored = crawl.store.get_data({o["ris:originalId"] for o, _ in alone_refs})
    for obj, key in alone_refs:
        target = stored[obj["ris:originalId"]].get(key)
        url = crawl.app.url_for(target, crawl.base) if isinstance(target, str) else None
        if obj.get(key) != url:
            bad.append(f"{obj['id']}: {key} = {obj.get(key)!r} read on its own, the store says {url!r}")
    assert len({k for _, k in alone_refs}) >= 3
    assert not bad, bad[:10]
    assert {"Location", "File", "AgendaItem", "Consultation"} <= embedded_types
    if crawl.name == "town":
        assert {"Membership", "LegislativeTerm"} <= embedded_types
    assert {"meetings", "meeting"} <= standalone_backrefs  # read on their own, Locations and Files list them


# --- lists ------------------------------------------------------------------------------------
def _pages(first_url: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    url: str | None = first_url
    while url:
        resp = requests.get(url, timeout=30)
        assert resp.status_code == 200, (url, resp.text[:200])
        page = resp.json()
        out.append((url, page))
        url = page["links"].get("next")
        assert len(out) < 500
    return out


def _check_pages(pages: list[tuple[str, dict[str, Any]]], per_page: int) -> list[str]:
    bad: list[str] = []
    total = sum(len(p["data"]) for _, p in pages)
    first, last = pages[0][0], pages[-1][0]
    for number, (url, page) in enumerate(pages, 1):
        links, pagination = page["links"], page["pagination"]
        expected = {"totalElements": total, "elementsPerPage": per_page, "currentPage": number,
                    "totalPages": len(pages)}  # fmt: skip
        if pagination != expected:
            bad.append(f"{url}: pagination {pagination} != {expected}")
        if (links.get("self"), links.get("first"), links.get("last")) != (url, first, last):
            bad.append(f"{url}: links self/first/last {links}")
        if links.get("prev") != (pages[number - 2][0] if number > 1 else None):
            bad.append(f"{url}: links.prev {links.get('prev')}")
        if links.get("next") != (pages[number][0] if number < len(pages) else None):
            bad.append(f"{url}: links.next {links.get('next')}")
        if number < len(pages) and len(page["data"]) != per_page:
            bad.append(f"{url}: {len(page['data'])} objects on a page that is not the last")
    return bad


def _body_lists(crawl: Crawl) -> dict[str, str]:
    body = requests.get(f"{crawl.base}/body", timeout=30).json()["data"][0]
    return {name: body[name] for name in LISTS}


def test_pagination_links_and_counts(crawl: Crawl) -> None:
    bad: list[str] = []
    for url in _body_lists(crawl).values():
        bad += _check_pages(_pages(url), 100)
        query = urlencode({"modified_since": (T0 - timedelta(days=1)).isoformat(), "limit": 7})
        filtered = _pages(f"{url}?{query}")
        bad += _check_pages(filtered, 7)
        assert all("modified_since=" in p["links"]["self"] and "limit=7" in p["links"]["self"] for _, p in filtered)
    assert not bad, bad[:10]
    assert any(len(_pages(u)) > 1 for u in _body_lists(crawl).values())


def _ids(url: str, **params: str) -> dict[str, dict[str, Any]]:
    query = urlencode(params)
    return {o["id"]: o for _, page in _pages(f"{url}?{query}" if query else url) for o in page["data"]}


def test_filters_and_deleted_objects(crawl: Crawl) -> None:
    index = crawl.app.index()
    deleted: dict[str, set[str]] = {}
    for entry in index.entries.values():
        if entry.deleted:
            deleted.setdefault(entry.type, set()).add(crawl.app.url_for(entry.id, crawl.base) or "")
    assert {"Meeting", "Paper"} <= set(deleted)
    bad: list[str] = []
    for name, url in _body_lists(crawl).items():
        listed = _ids(url)
        assert not any(o.get("deleted") for o in listed.values()), name
        times = {i: (_dt(o["created"]), _dt(o["modified"])) for i, o in listed.items()}
        gone = deleted.get(LISTS[name], set())
        cases = {
            "modified_since": ({i for i, (_, m) in times.items() if m >= T1} | gone, T1),
            "modified_until": ({i for i, (_, m) in times.items() if m <= T0}, T0),
            "created_since": ({i for i, (c, _) in times.items() if c >= T1}, T1),
            "created_until": ({i for i, (c, _) in times.items() if c <= T0}, T0),
        }
        for param, (expected, bound) in cases.items():
            got = _ids(url, **{param: bound.isoformat()})
            if set(got) != expected:
                bad.append(f"{name}?{param}: {len(got)} objects, expected {len(expected)}")
            for obj in got.values():
                if obj.get("deleted") and (set(obj) != TOMBSTONE_KEYS or obj["deleted"] is not True):
                    bad.append(f"{obj['id']}: tombstone {sorted(obj)}")
        both = _ids(url, modified_since=T0.isoformat(), modified_until=T0.isoformat())
        if set(both) != {i for i, (_, m) in times.items() if m == T0}:
            bad.append(f"{name}: modified_since = modified_until = T0 is not the objects modified at T0")
        for tombstone_url in gone:
            single = requests.get(tombstone_url, timeout=30).json()
            if single.get("deleted") is not True or set(single) != TOMBSTONE_KEYS:
                bad.append(f"{tombstone_url}: answers {sorted(single)}")
    assert not bad, bad[:10]


# --- modified -----------------------------------------------------------------------------------
def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "modified"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_modified_follows_every_change_of_the_served_json(crawl: Crawl) -> None:
    before, after = _standalone(crawl.first), _standalone(crawl.second)
    origin = {url: doc.get("ris:originalId") for url, doc in after.items()}
    changed = raised = 0
    bad: list[str] = []
    for url, now in after.items():
        if url not in before or url.endswith("/system"):
            continue
        was = before[url]
        if _without_times(was) != _without_times(now):
            changed += 1
            if _dt(now["modified"]) < T1:
                bad.append(f"{url}: JSON changed, modified still {now['modified']}")
        elif now.get("modified") != was.get("modified"):
            raised += 1
            # Allowed when the record itself changed in the store, or (File, Location) a record its
            # back-reference list names: the output dates the list by its members' changes.
            listed = {origin.get(u) for k in STANDALONE_ONLY.get(type_name(now), ()) for u in now.get(k, [])}
            if not ({now.get("ris:originalId")} | listed) & crawl.changed_at_t1:
                bad.append(f"{url}: JSON unchanged, modified moved {was['modified']} -> {now['modified']}")
    assert not bad, bad[:10]
    assert changed >= 5  # the changes at the source reached the output
    new = [u for u in after if u not in before]
    assert all(_dt(after[u]["created"]) >= T1 for u in new)
    assert new or crawl.name == "real"  # the town got a meeting
