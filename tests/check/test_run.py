"""``ris-connector check`` against the sample server's quirk modes and real recorded OParl data:
every problem class of the reference validator (oparl-validator-rs) with the counts its rules
give on the same responses, derived here independently from the served data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ris_connector.check import CheckReport, check_url
from ris_connector.check.spec import FIELDS
from ris_connector.http import HttpSettings
from ris_connector.sample.server import OParlServer
from tests.support.recorded_oparl import karlsruhe, wuppertal
from tests.support.ristest import FAST_HTTP

HTTP = HttpSettings(**FAST_HTTP)


def run_check(url: str) -> CheckReport:
    return check_url(url, http=HTTP, pause=0)


def counts(report: CheckReport) -> dict[tuple[str, str], int]:
    return report.problem_counts


def _walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    """(key, value) of every value nested in ``value``."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield None, v
            yield from _walk(v)


def _ids(value: Any) -> list[str]:
    return [v["id"] for _, v in _walk([value]) if isinstance(v, dict) and isinstance(v.get("id"), str)]


def test_real_wuppertal_recording() -> None:
    """Somacos Wuppertal as recorded: http ids (System, Body, Meeting, 3 Files), a Body without
    its mandatory legislativeTerm, and a Meeting whose 2 organizations and 1 person answer 404."""
    with wuppertal() as srv:
        report = run_check(srv.system_url)
    assert counts(report) == {
        ("http-id", ""): 6,
        ("object-missing", "Organization"): 2,
        ("object-missing", "Person"): 1,
        ("required-field-missing", "Body.legislativeTerm"): 1,
    }
    assert report.validator_counts() == {
        "ObjectMissing(Organization)": 2,
        "ObjectMissing(Person)": 1,
        "RequiredFieldMissing": 1,
        "UsingHttp": 6,
    }
    # Beyond the validator: the quirk the sync met, and why each reference cannot be had.
    codes = {w["code"]: w["count"] for w in report.notices}
    assert codes["oparl-q15-unlisted-reference"] == 3 and codes["oparl-vendor"] == 1
    assert sorted(m["reason"] for m in report.missing) == ["HTTP 404: not found"] * 3
    assert report.records == {"Body": 1, "File": 3, "Meeting": 1, "System": 1}
    assert [f.verdict for f in report.filters if f.list == "meeting"] == ["honoured"]


def test_real_karlsruhe_recording() -> None:
    """Somacos Karlsruhe (OParl 1.1): counts derived from the recorded files by simple rules."""
    with karlsruhe() as srv:
        report = run_check(srv.system_url)
        served: dict[str, list[Any]] = {}
        for name in ("paper", "organization", "person", "meeting"):
            page, served[name] = 1, []
            while True:
                data = json.loads(srv.answer(f"/oparl/bodies/0001/{name}s?page={page}")[1])
                served[name] += data["data"]
                if "next" not in data["links"]:
                    break
                page += 1
        system = json.loads(srv.answer("/oparl/system")[1])
        walked = [system, json.loads(srv.answer("/oparl/bodies")[1])["data"], *served.values()]
    c = counts(report)
    # Every object and embedded object seen has an http id (the replay is served over http).
    assert c[("http-id", "")] == len(_ids(walked)) == 249
    # "" in text fields (URL fields are not text); each (type, field) is its own group.
    url_fields = {n for t in FIELDS.values() for n, f in t.items() if f.shape in ("url", "ref")}
    empty = sum(1 for k, v in _walk(walked) if v == "" and k not in url_fields)
    assert sum(n for (cls, _), n in c.items() if cls == "empty-string") == empty == 129
    assert c[("empty-string", "Organization.shortName")] == 1
    # Memberships are only linked from Organization.membership, and none was recorded.
    linked = {m for org in served["organization"] for m in org.get("membership", [])}
    assert c[("object-missing", "Membership")] == len(linked) == 1344
    assert ("required-field-missing", "Body.legislativeTerm") not in c
    assert report.validator_counts()["EmptyString"] == 129
    assert {w["code"] for w in report.notices} >= {"meeting-end-before-start", "oparl-q15-unlisted-reference"}


@pytest.fixture
def quirky(oparl_server: type[OParlServer]) -> Any:
    def start(*quirks: str) -> OParlServer:
        return oparl_server(scale=0.003, quirks=set(quirks))

    return start


def _listed(srv: OParlServer, key: str) -> list[dict[str, Any]]:
    """The objects of a Body list as served (every page)."""
    import requests

    url: str | None = srv.list_url(key)
    out: list[dict[str, Any]] = []
    while url:
        page = requests.get(url, timeout=10).json()
        out += page["data"]
        url = page["links"].get("next")
    return out


def test_unlisted_and_missing_references(quirky: Any) -> None:
    srv = quirky("unlisted_refs")
    report = run_check(srv.system_url)
    c = counts(report)
    assert c[("object-not-in-list", "Person")] == 2  # the two unlisted persons load by themselves
    assert c[("object-missing", "Person")] == len(srv.dataset.missing_refs) == 2
    assert {m["id"] for m in report.missing} == set(srv.dataset.missing_refs)
    assert report.validator_counts()["ObjectNotInList(Person)"] == 2


def test_missing_mandatory_and_empty_strings(quirky: Any) -> None:
    srv = quirky("missing_mandatory", "na_values")
    report = run_check(srv.system_url)
    c = counts(report)
    meetings = _listed(srv, "meeting")
    agenda = sum(len(m.get("agendaItem", [])) for m in meetings)
    persons = _listed(srv, "person")
    organizations = _listed(srv, "organization")
    assert c[("required-field-missing", "Body.legislativeTerm")] == 1
    assert c[("empty-string", "AgendaItem.number")] == agenda > 0
    assert c[("empty-string", "Person.affix")] == sum(p.get("affix") == "" for p in persons)
    assert c[("empty-string", "Organization.shortName")] == len(organizations)
    codes = {w["code"]: w["count"] for w in report.notices}
    assert codes["oparl-q14-empty-number"] == agenda  # the sync says more: the repair, per quirk


def test_list_pages_of_the_wrong_shape(quirky: Any) -> None:
    """auxiliaryFile as one object instead of a list: strict clients cannot read those pages at
    all (counted per page, their objects unchecked); the sync wraps it and counts the repair."""
    srv = quirky("aux_single")
    report = run_check(srv.system_url)
    walk = report.walk
    assert walk is not None
    bad_pages = sum(s.pages for s in walk.lists if s.name in ("paper", "meeting"))
    assert counts(report)[("list-schema-mismatch", "")] == bad_pages > 0
    assert report.validator_counts()["InvalidJson"] == bad_pages
    assert {w["code"] for w in report.notices} >= {"oparl-q19-single-object"}
    assert report.sync["status"] == "complete"


def test_failing_requests(quirky: Any) -> None:
    """Every list page answers 500 once: a strict client gives up at the body list; the sync
    retries and completes, and says how often it had to."""
    srv = quirky("spurious_500")
    report = run_check(srv.system_url)
    assert counts(report) == {("http-id", ""): 1, ("request-failed", ""): 1}  # the System was seen first
    assert report.walk is not None and report.walk.aborted == "the body list cannot be read"
    assert report.sync["status"] == "complete" and report.sync["retries"] > 0


def test_an_icalendar_feed() -> None:
    """A real ALLRIS calendar export: the feed is recognised, its deviations come from the sync."""
    from tests.support.ics_server import IcsServer
    from tests.support.ristest import FIXTURES

    with IcsServer() as server:
        server.put("/feed.ics", (FIXTURES / "ics" / "allris4_SiKalAbo.ics").read_text(encoding="utf-8"))
        report = run_check(server.url("/feed.ics"))
    assert report.kind == "ics" and report.walk is None
    assert report.feed["content_type"] == "text/calendar" and report.feed["bytes"] > 1000
    assert report.records["Meeting"] == 6
    assert {w["code"]: w["count"] for w in report.notices} == {"ics-placeholder-dtend": 5}
