"""Tests for the sample OParl server, its dataset generator and every quirk mode."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from ris_connector.sample import QUIRKS, OParlServer, generate
from ris_connector.sample.dataset import DEFAULT_NOW

Json = Any


@pytest.fixture(scope="module")
def server() -> Iterator[OParlServer]:
    with OParlServer(scale=0.02) as srv:
        yield srv


@pytest.fixture
def srv(server: OParlServer) -> Iterator[OParlServer]:
    server.quirks = set()
    server.page_size = 20
    yield server
    server.quirks = set()
    server.reset_log()


def get(url: str, **params: Any) -> requests.Response:
    return requests.get(url, params=params or None, timeout=10)


def crawl(url: str, **params: Any) -> list[Json]:
    out: list[Json] = []
    seen: set[str] = set()
    next_url: str | None = url
    first = True
    while next_url:
        assert next_url not in seen
        seen.add(next_url)
        page = get(next_url, **(params if first else {})).json()
        first = False
        out.extend(page["data"])
        next_url = page["links"].get("next")
    return out


def body(srv: OParlServer) -> Json:
    return get(srv.body_url).json()


# -- generator -------------------------------------------------------------------------------------
def test_generate_is_deterministic_and_realistic() -> None:
    a = generate("http://h:1/oparl/v1.1", scale=0.05, seed=3)
    b = generate("http://h:1/oparl/v1.1", scale=0.05, seed=3)
    assert a.objects == b.objects
    assert generate("http://h:1/oparl/v1.1", scale=0.05, seed=4).objects != a.objects
    lists = a.lists[a.path_of(a.bodies[0])]
    assert len(lists) == 10
    assert len(a.ids("Meeting")) == 250 and len(a.ids("Paper")) == 1000 and len(a.ids("File")) == 2000
    assert len(a.ids("AgendaItem")) == 2500 and len(a.ids("Person")) == 25
    offsets = {a.get(m)["start"][-6:] for m in a.ids("Meeting")}
    assert offsets == {"+01:00", "+02:00"}
    now = DEFAULT_NOW.timestamp()
    assert all(c < now and m < now for c, m in a.times.values())
    assert any(datetime.fromisoformat(a.get(m)["start"]) > DEFAULT_NOW for m in a.ids("Meeting"))
    states = {a.get(m)["meetingState"] for m in a.ids("Meeting")}
    assert {"durchgeführt", "abgesagt", "geplant"} <= states
    paper = a.get(a.ids("Paper")[0])
    assert paper["reference"].count("/") == 1 and paper["consultation"]
    v10 = generate("http://h:1/oparl/v1.0", version="1.0")
    assert set(v10.lists[v10.path_of(v10.bodies[0])]) == {"organization", "person", "meeting", "paper"}
    assert v10.system["oparlVersion"] == "https://schema.oparl.org/1.0/"


def test_scale_one_generation_time() -> None:
    started = time.perf_counter()
    ds = generate("http://127.0.0.1:1/oparl/v1.1", scale=1.0)
    elapsed = time.perf_counter() - started
    print(f"scale 1.0: {len(ds.objects)} objects in {elapsed:.2f} s")
    assert len(ds.ids("Meeting")) == 5000 and len(ds.ids("File")) == 40000


# -- serving ---------------------------------------------------------------------------------------
def test_system_body_and_embedding(srv: OParlServer) -> None:
    system = get(srv.system_url).json()
    assert system["oparlVersion"] == "https://schema.oparl.org/1.1/"
    bodies = get(system["body"]).json()
    b = bodies["data"][0]
    assert b["ags"] == "09999000" and b["legislativeTerm"][0]["type"].endswith("/LegislativeTerm")
    assert isinstance(b["location"], dict)
    meeting = get(b["meeting"]).json()["data"][0]
    assert isinstance(meeting["location"], dict) and len(meeting["agendaItem"]) == 10
    assert [ai["order"] for ai in meeting["agendaItem"]] == list(range(1, 11))
    ai = meeting["agendaItem"][3]
    assert get(ai["id"]).json() == ai
    paper = get(srv.dataset.ids("Paper")[0]).json()
    assert isinstance(paper["mainFile"], dict) and isinstance(paper["consultation"][0], dict)
    assert get(paper["mainFile"]["accessUrl"]).content.startswith(b"%PDF")
    assert isinstance(get(srv.dataset.ids("Organization")[0]).json()["membership"][0], str)
    missing = get(srv.base_url + "/papers/99999999")
    assert missing.status_code == 404 and "error" in missing.json()


def test_pagination_chains_through_all_objects(srv: OParlServer) -> None:
    papers = crawl(srv.list_url("paper"))
    ids = [p["id"] for p in papers]
    assert len(ids) == len(set(ids)) and set(ids) == set(srv.dataset.ids("Paper"))
    page = get(srv.list_url("paper"), limit=7, page=2).json()
    assert len(page["data"]) == 7 and page["pagination"]["currentPage"] == 2
    assert "limit=7" in page["links"]["next"] and "prev" in page["links"]
    assert len(crawl(srv.list_url("file"), limit=1000)) == len(srv.dataset.ids("File"))


def test_filters(srv: OParlServer) -> None:
    since = "2025-06-01T00:00:00+02:00"
    page = get(srv.list_url("paper"), modified_since=since).json()
    assert "modified_since" in page["links"]["next"]
    items = crawl(srv.list_url("paper"), modified_since=since)
    cut = datetime.fromisoformat(since)
    assert items and all(datetime.fromisoformat(p["modified"]) >= cut for p in items)
    assert any(p.get("deleted") for p in items)
    assert not any(p.get("deleted") for p in crawl(srv.list_url("paper")))
    until = crawl(srv.list_url("meeting"), created_until="2021-01-01T00:00:00Z")
    assert until and all(datetime.fromisoformat(m["created"]) <= cut for m in until)
    assert get(srv.list_url("paper"), modified_since="garbage").status_code == 400


def test_mutation_api() -> None:
    with OParlServer(scale=0.02) as srv:
        ds = srv.dataset
        ai = ds.ids("AgendaItem")[0]
        meeting = ds.get(ai)["meeting"]
        before = ds.clock
        ds.update(ai, name="Geänderter Tagesordnungspunkt")
        assert get(ai).json()["name"] == "Geänderter Tagesordnungspunkt"
        assert datetime.fromisoformat(get(meeting).json()["modified"]) > before
        changed = crawl(srv.list_url("meeting"), modified_since=before.isoformat())
        assert [m["id"] for m in changed] == [meeting]
        assert changed[0]["agendaItem"][0]["name"] == "Geänderter Tagesordnungspunkt"
        paper = ds.ids("Paper")[0]
        ds.delete(paper)
        assert get(paper).json() == {
            "id": paper,
            "type": "https://schema.oparl.org/1.1/Paper",
            "deleted": True,
            "modified": ds.get(paper)["modified"],
        }
        assert paper not in {p["id"] for p in crawl(srv.list_url("paper"))}
        new = ds.add(
            {
                "type": "Paper",
                "name": "Neuer Antrag",
                "reference": "2026/0001",
                "mainFile": {"type": "File", "name": "Antrag", "accessUrl": srv.base_url + "/x.pdf"},
            }
        )
        served = get(new).json()
        assert served["mainFile"]["name"] == "Antrag" and new in ds.ids("Paper")
        assert crawl(srv.list_url("paper"))[0]["id"] == new
        assert paper not in ds.ids("Paper")


# -- quirks ----------------------------------------------------------------------------------------
FUTURE = "2099-01-01T00:00:00+01:00"


def _person_with_location(srv: OParlServer) -> str:
    return next(p for p in srv.dataset.ids("Person") if "location" in srv.dataset.get(p))


def _meeting_with_aux(srv: OParlServer) -> str:
    return next(m for m in srv.dataset.ids("Meeting") if srv.dataset.get(m).get("auxiliaryFile"))


def q_empty_404(srv: OParlServer) -> None:
    r = get(srv.list_url("paper"), modified_since=FUTURE)
    assert r.status_code == 404 and r.json()["code"] == 802


def q_empty_array(srv: OParlServer) -> None:
    assert get(srv.list_url("meeting"), modified_since=FUTURE).json() == []


def q_body_single(srv: OParlServer) -> None:
    assert get(srv.base_url + "/bodies").json()["type"].endswith("/Body")


def q_tombstone_no_type(srv: OParlServer) -> None:
    dead = [p for p in get(srv.list_url("paper")).json()["data"] if p.get("deleted")]
    assert dead and all("type" not in p for p in dead)


def q_embedded_no_type(srv: OParlServer) -> None:
    assert "type" not in body(srv)["location"]


def q_person_location_object(srv: OParlServer) -> None:
    assert isinstance(get(_person_with_location(srv)).json()["location"], dict)


def q_person_location_url(srv: OParlServer) -> None:
    person = get(_person_with_location(srv)).json()
    assert isinstance(person["location"], str) and isinstance(person["locationObject"], dict)


def q_membership_array(srv: OParlServer) -> None:
    assert isinstance(get(srv.dataset.ids("Membership")[0]).json(), list)


def q_file_double_slash(srv: OParlServer) -> None:
    f = get(srv.dataset.ids("File")[0]).json()
    assert "/files//" in f["accessUrl"] and get(f["accessUrl"]).status_code == 200


def q_ags_9(srv: OParlServer) -> None:
    assert body(srv)["ags"] == "099990000"


def q_body_list_names(srv: OParlServer) -> None:
    got = body(srv)
    assert "consultations" in got and "files" in got and "consultation" not in got and "file" not in got


def q_ags_7(srv: OParlServer) -> None:
    assert body(srv)["ags"] == "9999000"


def q_limit_400(srv: OParlServer) -> None:
    assert get(srv.list_url("paper"), limit=5).status_code == 400
    assert get(srv.list_url("paper")).json()["pagination"]["elementsPerPage"] == 25


def q_thin_papers(srv: OParlServer) -> None:
    item = get(srv.list_url("paper")).json()["data"][-1]
    assert set(item) == {"id", "type", "created", "modified"} and "name" in get(item["id"]).json()


def q_missing_mandatory(srv: OParlServer) -> None:
    assert "legislativeTerm" not in body(srv)
    assert get(srv.dataset.ids("AgendaItem")[0]).json()["number"] == ""


def q_unlisted_refs(srv: OParlServer) -> None:
    refs = get(srv.dataset.ids("Meeting")[0]).json()["participant"]
    listed = set(srv.dataset.ids("Person"))
    extra = [r for r in refs if r not in listed]
    assert sorted(get(r).status_code for r in extra) == [200, 404]


def q_control_chars(srv: OParlServer) -> None:
    raw = get(srv.list_url("paper"), limit=1000).content
    assert b"\x01" in raw
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


def q_double_colon_tz(srv: OParlServer) -> None:
    b = body(srv)
    assert b["created"].endswith(("+01::00", "+02::00")) and "T00:00:00" in b["legislativeTerm"][0]["startDate"]


def q_na_values(srv: OParlServer) -> None:
    f = get(srv.dataset.ids("File")[0]).json()
    assert f["downloadUrl"] == "" and f["mimeType"] in ("pdf", "docx") and f["size"] == 0 and "T" in f["date"]


def q_aux_single(srv: OParlServer) -> None:
    assert isinstance(get(_meeting_with_aux(srv)).json()["auxiliaryFile"], dict)


def q_spurious_500(srv: OParlServer) -> None:
    url = srv.list_url("paper") + "?page=2"
    assert [get(url).status_code, get(url).status_code] == [500, 200]


def q_no_url_encoding(srv: OParlServer) -> None:
    r = get(srv.list_url("paper"), modified_since="2020-01-01T00:00:00+01:00")
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
    assert get(srv.list_url("paper") + "?modified_since=2020-01-01T00:00:00+01:00").status_code == 200


def q_no_microseconds(srv: OParlServer) -> None:
    assert get(srv.list_url("paper"), modified_since="2020-01-01T00:00:00.123+01:00").status_code == 400
    assert get(srv.list_url("paper"), modified_since="2020-01-01T00:00:00+01:00").status_code == 200


def q_https_ids(srv: OParlServer) -> None:
    system_id = get(srv.system_url).json()["id"]
    assert system_id.startswith("https://") and "/ris/oparl/v1.1/" in system_id
    alias = system_id.replace("https://", "http://")
    assert get(alias).status_code == 200


def q_embedded_no_id(srv: OParlServer) -> None:
    assert "id" not in get(srv.dataset.ids("Meeting")[0]).json()["location"]


def q_lost_filter(srv: OParlServer) -> None:
    page = get(srv.list_url("paper"), modified_since="2020-01-01T00:00:00+01:00").json()
    assert "modified_since" not in page["links"]["next"]


def q_created_after_modified(srv: OParlServer) -> None:
    papers = get(srv.list_url("paper"), limit=100).json()["data"]
    assert any(p["created"] > p["modified"] for p in papers if "created" in p)
    assert "created" not in body(srv)["location"]


def q_bad_geojson(srv: OParlServer) -> None:
    locs = get(srv.list_url("locationList")).json()["data"]
    shapes = [loc["geojson"].get("coordinates") or loc["geojson"]["geometry"]["coordinates"] for loc in locs]
    assert any(isinstance(s, str) for s in shapes) and any(isinstance(s, list) and len(s) == 3 for s in shapes)


def q_allris4(srv: OParlServer) -> None:
    page = get(srv.list_url("paper"), limit=50).json()
    assert page["pagination"]["elementsPerPage"] == 10 and page["data"][0]["id"] == srv.dataset.ids("Paper")[0]
    assert page["data"][0]["modified"] == "2000-01-01T00:00:00+01:00"
    assert get(srv.list_url("meeting"), created_since="2000-01-01T00:00:00Z").json()["data"] == []


def q_error_200(srv: OParlServer) -> None:
    r = get(srv.system_url)
    assert r.status_code == 200 and r.json() == {"error": "OParl is not active.", "type": "Error"}


def q_same_page_loop(srv: OParlServer) -> None:
    p1, p7 = get(srv.base_url + "/bodies").json(), get(srv.base_url + "/bodies", page=7).json()
    assert p1["data"] == p7["data"] and p7["links"]["next"].endswith("page=8")


def q_next_loop(srv: OParlServer) -> None:
    last = get(get(srv.list_url("paper")).json()["links"]["last"]).json()
    assert last["links"]["next"] == last["links"]["first"]


def q_self_link(srv: OParlServer) -> None:
    last = get(get(srv.list_url("meeting")).json()["links"]["last"]).json()
    assert last["links"]["next"] == last["links"]["self"]


def q_type_variants(srv: OParlServer) -> None:
    types = {m["type"] for m in get(srv.list_url("meeting")).json()["data"]}
    assert types == {"http://schema.oparl.org/1.1/Meeting", "https://schema.oparl.org/1.1/Meeting/"}


def q_url_spaces(srv: OParlServer) -> None:
    f = get(srv.dataset.ids("File")[0]).json()
    assert " " in f["accessUrl"] and get(f["accessUrl"]).status_code == 200


def q_single_values(srv: OParlServer) -> None:
    assert isinstance(get(srv.dataset.ids("Person")[0]).json()["email"], str)


def q_number_refs(srv: OParlServer) -> None:
    assert isinstance(get(srv.dataset.ids("Membership")[0]).json()["organization"], int)


def q_naive_datetimes(srv: OParlServer) -> None:
    assert datetime.fromisoformat(get(srv.system_url).json()["created"]).tzinfo is None


def q_date_for_datetime(srv: OParlServer) -> None:
    assert len(get(srv.dataset.ids("Meeting")[0]).json()["start"]) == 10


def q_license_text(srv: OParlServer) -> None:
    system = get(srv.system_url).json()
    assert system["license"] == "Datenlizenz Deutschland Namensnennung 2.0" and system["name"] == "N/A"


def q_id_mismatch(srv: OParlServer) -> None:
    url = srv.dataset.ids("Paper")[0]
    served = get(url).json()["id"]
    assert served != url and get(served).status_code == 200


def q_html_200(srv: OParlServer) -> None:
    r = get(srv.list_url("paper"))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")


def q_invalid_json(srv: OParlServer) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(get(srv.list_url("paper")).content)


def q_slow(srv: OParlServer) -> None:
    srv.slow_seconds = 0.2
    started = time.perf_counter()
    get(srv.system_url)
    assert time.perf_counter() - started >= 0.2


QUIRK_CHECKS: dict[str, Callable[[OParlServer], None]] = {
    name[2:]: fn for name, fn in globals().items() if name.startswith("q_") and callable(fn)
}


def test_every_quirk_has_a_check() -> None:
    assert set(QUIRK_CHECKS) == QUIRKS


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_quirk(srv: OParlServer, quirk: str) -> None:
    srv.quirks.add(quirk)
    QUIRK_CHECKS[quirk](srv)


def test_unknown_quirk_and_vendor_rejected(srv: OParlServer) -> None:
    with pytest.raises(ValueError, match="unknown quirk"):
        srv.quirks.add("no_such_quirk")
    with pytest.raises(ValueError):
        OParlServer(quirks={"nope"})
    with pytest.raises(ValueError):
        OParlServer(vendor="acme")


@pytest.mark.parametrize(
    ("vendor", "field", "value"),
    [
        ("sternberg", "contactName", "STERNBERG Software GmbH & Co. KG"),
        ("ccegov", "vendor", "http://cc-egov.de/"),
        ("somacos", "vendor", "http://www.somacos.de"),
        ("rubin", "product", "more! rubin"),
    ],
)
def test_vendor_personas(vendor: str, field: str, value: str) -> None:
    with OParlServer(version="1.0", vendor=vendor) as srv:
        system = get(srv.system_url).json()
        assert system[field] == value
        assert system["oparlVersion"] == "https://schema.oparl.org/1.0/"
        if vendor == "sternberg":
            assert "STERNBERG:RIMVersion" in system and "/webservice/oparl/v1.0/" in srv.system_url


def test_request_log_and_latency(srv: OParlServer) -> None:
    srv.reset_log()
    srv.latency = 0.05
    try:
        started = time.perf_counter()
        get(srv.list_url("paper"), page=2)
        assert time.perf_counter() - started >= 0.05
    finally:
        srv.latency = 0.0
    rec = srv.requests[-1]
    assert (rec.method, rec.query, rec.status) == ("GET", "page=2", 200) and rec.path.endswith("/papers")


def test_custom_now_and_factory() -> None:
    now = datetime.now().astimezone()
    with OParlServer(now=now) as srv:
        assert srv.dataset.clock == now.astimezone(srv.dataset.clock.tzinfo)
    made: list[str] = []

    def factory(base: str) -> Any:
        made.append(base)
        return generate(base, scale=0.01, now=now - timedelta(days=1))

    with OParlServer(dataset_factory=factory) as srv:
        assert made == [srv.base_url] and get(srv.system_url).status_code == 200
