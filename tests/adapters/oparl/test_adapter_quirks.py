"""Every quirk of the catalogue (ris_connector/notices/quirks.py) that the client handles, against
the sample server's quirk modes.

Each test syncs a real OParl server on 127.0.0.1 with one quirk switched on into a real SQLite
file and checks what a user relies on (complete run, right records) and that the report names
the deviation with its notice code. The comment above each test names the rows it covers.
Rows without a server flag are tested with real captured payloads in test_mapper_real_fixtures.py.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from ris_connector.adapters.base import AdapterContext, Notice, Rejected, SourceSettings
from ris_connector.adapters.oparl.adapter import LISTS_1_1, OParlAdapter
from ris_connector.clock import SystemClock
from ris_connector.http import HttpClient
from ris_connector.models import Membership
from ris_connector.sample.views import LICENSE_TEXT
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport
from tests.support.ristest import OParlFactory, oparl_source, sync

BERLIN = ZoneInfo("Europe/Berlin")
#: Control characters that must not survive (tab and newline are whitespace and stay).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def codes(report: RunReport) -> set[str]:
    return set(report.warnings)


def records(store: SQLiteStore, type_name: str) -> list[dict[str, Any]]:
    return [row.data for row in store.iter_rows(type_name=type_name)]


def data(store: SQLiteStore, record_id: str) -> dict[str, Any]:
    row = store.get(record_id)
    assert row is not None, f"{record_id} not in the store"
    return row.data


def clean_run(report: RunReport) -> None:
    assert report.complete, report.errors
    assert report.total("quarantined") == 0, report.counts


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


# Rows 1 (empty filtered list = HTTP 404 + SD.NET error body) and 12 (limit -> 400) do not stop a run.
def test_empty_filtered_list_answered_404(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["empty_404"], vendor="sternberg")
    clean_run(sync(server, store))
    paper = server.dataset.ids("Paper")[0]
    server.dataset.update(paper, name="Neuer Titel nach dem 404", modified=now())
    report = sync(server, store)
    clean_run(report)
    assert any(r.status == 404 for r in server.requests)
    assert report.counts["Paper"]["updated"] == 1
    assert data(store, paper)["name"] == "Neuer Titel nach dem 404"
    assert "oparl-q1-empty-error" in codes(report)


# Row 2: an empty filtered list sent as [] instead of a page object.
def test_empty_filtered_list_as_array(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["empty_array"])
    clean_run(sync(server, store))
    paper = server.dataset.ids("Paper")[1]
    server.dataset.update(paper, name="Nach leerem Array geändert", modified=now())
    report = sync(server, store)
    clean_run(report)
    assert report.counts["Paper"]["updated"] == 1
    assert data(store, paper)["name"] == "Nach leerem Array geändert"
    assert "oparl-q2-array-page" in codes(report)


# Row 3: the body list URL answers one Body object instead of a list page.
def test_body_list_is_a_single_object(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["body_single"])
    report = sync(server, store)
    clean_run(report)
    assert report.counts["Body"]["created"] == 1
    assert report.counts["Paper"]["created"] == len(server.dataset.ids("Paper"))
    assert "oparl-q3-object-page" in codes(report)


# Rows 4 (tombstones without type, deleted objects inside unfiltered lists) and 14 (deleted
# Paper/Meeting without type).
def test_tombstones_without_type_delete_the_right_record(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["tombstone_no_type"])
    first = sync(server, store)
    clean_run(first)
    deleted_on_server = [
        p for p in server.dataset.ids("Paper", include_deleted=True) if p not in server.dataset.ids("Paper")
    ]
    assert deleted_on_server, "the sample dataset has deleted papers"
    for gone in deleted_on_server:
        row = store.get(gone)
        assert row is None or row.deleted
    victim, neighbour = server.dataset.ids("Paper")[2:4]
    server.dataset.delete(victim, modified=now())
    report = sync(server, store)
    clean_run(report)
    assert report.counts["Paper"]["deleted"] == 1
    assert report.total("deleted") == 1
    assert store.get(victim).deleted
    assert store.get(victim).type == "Paper"
    assert not store.get(neighbour).deleted
    assert "oparl-q4-tombstone-without-type" in codes(report)


# Row 5: embedded Location/Organization without type.
def test_embedded_objects_without_type(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["embedded_no_type"])
    report = sync(server, store)
    clean_run(report)
    meeting = server.dataset.get(server.dataset.ids("Meeting")[0])
    location = data(store, meeting["location"])
    assert location["type"] == "Location" and location.get("description")
    assert data(store, meeting["id"])["location"] == location["id"]
    assert "oparl-q5-missing-type" in codes(report)


# Row 6: Person.location embedded as object where a URL is expected. Only the person list is
# read, so the Location can come only from the embedded object (no single fetches needed).
def test_person_location_as_object(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.01, seed=4, quirks=["person_location_object"])
    report = sync(server, store, lists=["person"])
    clean_run(report)
    with_location = [p for p in server.dataset.ids("Person") if "location" in server.dataset.get(p)]
    assert with_location
    for pid in with_location:
        loc_id = server.dataset.get(pid)["location"]
        assert data(store, pid)["location"] == loc_id
        assert data(store, loc_id)["streetAddress"] == server.dataset.get(loc_id)["streetAddress"]
    assert not [r for r in server.requests if "/locations/" in r.path]
    assert "oparl-q6-embedded-location" in codes(report)


# Row 6 (other way round): OParl 1.1 ``locationObject`` next to the ``location`` URL.
def test_person_location_object_field(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.01, seed=4, quirks=["person_location_url"])
    report = sync(server, store, lists=["person"])
    clean_run(report)
    with_location = [p for p in server.dataset.ids("Person") if "location" in server.dataset.get(p)]
    for pid in with_location:
        loc_id = server.dataset.get(pid)["location"]
        assert data(store, loc_id)["streetAddress"] == server.dataset.get(loc_id)["streetAddress"]
    assert not [r for r in server.requests if "/locations/" in r.path]


# Rows 7 (a /membership URL answers an array) and 15 (referenced objects fetched one by one).
# The sample server embeds every membership in its person, so no sync ever needs a membership by
# itself; the adapter's single-object fetch (what the engine calls for a dangling reference) is
# therefore called directly, over real HTTP.
def test_membership_url_answers_array(oparl_server: OParlFactory) -> None:
    server = oparl_server(scale=0.005, quirks=["membership_array"])
    config = oparl_source(server.system_url)
    http = HttpClient(server.system_url, config.http, source=config.name)
    ctx = AdapterContext(
        source=SourceSettings(name=config.name, url=server.system_url), http=http, clock=SystemClock(), state=_NoState()
    )
    adapter = OParlAdapter(ctx, OParlAdapter.parse_options({}))
    mid = server.dataset.ids("Membership")[0]
    try:
        items = list(adapter.fetch_one(mid))
    finally:
        http.close()
    memberships = [i for i in items if isinstance(i, Membership)]
    assert [m.id for m in memberships] == [mid]
    assert memberships[0].person == server.dataset.get(mid)["person"]
    assert not [i for i in items if isinstance(i, Rejected)]
    notice_codes = {i.code for i in items if isinstance(i, Notice)}
    assert {"oparl-q7-array-object", "oparl-q15-unlisted-reference"} <= notice_codes


class _NoState:
    def stream_state(self, stream: str) -> None:
        return None

    def known_ids(self, ids: Any) -> set[str]:
        return set()


# Row 8: double slash in file URLs.
def test_file_urls_with_double_slash(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["file_double_slash"])
    report = sync(server, store)
    clean_run(report)
    files = records(store, "File")
    assert files
    for f in files:
        assert "//" not in f["accessUrl"].split("://", 1)[1]
    assert "oparl-q8-double-slash" in codes(report)


# Row 11: AGS with 9 digits (trailing zero) or 7 digits (lost leading zero) becomes 8 digits.
def test_ags_trimmed_and_padded(oparl_server: OParlFactory, tmp_path: Path) -> None:
    for quirk in ("ags_9", "ags_7"):
        server = oparl_server(scale=0.005, quirks=[quirk])
        expected = server.dataset.get(server.body_url)["ags"]
        assert len(expected) == 8
        with SQLiteStore(tmp_path / f"{quirk}.db") as store:
            report = sync(server, store)
            clean_run(report)
            assert data(store, server.body_url)["ags"] == expected, quirk
            assert "oparl-q11-ags" in codes(report)


# Issue 13: a real Somacos Body names two lists ``consultations`` and ``files``; they are read as
# the spec's ``consultation`` and ``file`` lists (same streams, same records), each counted.
def test_body_lists_under_other_names(oparl_server: OParlFactory, tmp_path: Path) -> None:
    plain = oparl_server(scale=0.005)
    odd = oparl_server(scale=0.005, quirks=["body_list_names"])
    with SQLiteStore(tmp_path / "plain.db") as a, SQLiteStore(tmp_path / "odd.db") as b:
        expected, report = sync(plain, a), sync(odd, b)
        clean_run(report)
        assert report.warnings["oparl-body-list-alias"]["count"] == 2
        assert "'consultations' read as 'consultation'" in report.warnings["oparl-body-list-alias"]["example"]
        for type_name in ("Consultation", "File"):
            assert report.counts[type_name]["created"] == expected.counts[type_name]["created"] > 0, type_name
        listed = {r.path.rsplit("/", 1)[-1] for r in odd.requests}
        assert {"consultations", "files"} <= listed  # the lists themselves were read, not only embeddings
        streams = set(b.stream_states("test"))
        assert {f"{odd.body_url}|consultation", f"{odd.body_url}|file"} <= streams


# Row 12: Sternberg answers ``limit`` with HTTP 400; detected as Sternberg, no limit is sent.
def test_sternberg_gets_no_limit(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["limit_400"], vendor="sternberg")
    report = sync(server, store)
    clean_run(report)
    assert not [r for r in server.requests if "limit=" in r.query]
    assert report.counts["Paper"]["created"] == len(server.dataset.ids("Paper"))
    assert "oparl-q12-no-limit" in codes(report)


# Row 12 without vendor detection: a limit answered with 400 is dropped and the list re-asked.
def test_limit_rejected_is_dropped(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["limit_400"], vendor="somacos")
    report = sync(server, store)
    clean_run(report)
    assert report.counts["Paper"]["created"] == len(server.dataset.ids("Paper"))
    assert len([r for r in server.requests if r.status == 400]) == 1
    assert "oparl-q12-limit-rejected" in codes(report)


# Row 13: list entries with only created/modified/id/deleted are fetched one by one.
def test_thin_papers_get_their_full_fields(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["thin_papers"])
    report = sync(server, store)
    clean_run(report)
    papers = server.dataset.ids("Paper")
    for pid in papers[:10]:
        src, got = server.dataset.get(pid), data(store, pid)
        assert got["name"] == src["name"]
        assert got["reference"] == src["reference"]
        assert len(got["consultation"]) == len(src["consultation"])
    assert report.warnings["oparl-q13-thin-object"]["count"] == len(papers)


# Row 14: Body without legislativeTerm, AgendaItem.number = "", deleted Paper/Meeting without type.
def test_missing_mandatory_fields(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["missing_mandatory"])
    report = sync(server, store)
    clean_run(report)
    assert data(store, server.body_url)["legislativeTerm"] == []
    items = records(store, "AgendaItem")
    assert len(items) == len(server.dataset.ids("AgendaItem"))
    assert all(i.get("number") is None for i in items)
    assert "oparl-q14-empty-number" in codes(report)


# Row 15: referenced objects in no list are fetched one by one; a 404 becomes a missing reference.
def test_unlisted_references(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["unlisted_refs"])
    report = sync(server, store)
    clean_run(report)
    # The server references the first and the last unlisted person (from meetings and papers).
    for path in (min(server.dataset.unlisted), max(server.dataset.unlisted)):
        obj = server.dataset.objects[path]
        stored = data(store, server.dataset.id_of(path))
        assert stored["type"] == "Person" and stored["name"] == obj["name"]
    missing = {m["id"] for m in store.missing_references()}
    assert set(server.dataset.missing_refs) <= missing
    assert report.missing_references >= len(server.dataset.missing_refs)
    assert "oparl-q15-unlisted-reference" in codes(report)


def test_an_unchanged_run_looks_for_unresolved_references_only_when_some_can_exist(
    oparl_server: OParlFactory, tmp_path: Path
) -> None:
    """The scan over every reference is skipped only after a run that resolved them all."""
    server = oparl_server(scale=0.005, quirks=["unlisted_refs"])
    wanted = [server.dataset.id_of(p) for p in (min(server.dataset.unlisted), max(server.dataset.unlisted))]
    with SQLiteStore(tmp_path / "refs.db") as st:
        first = sync(server, st, max_individual_fetches=1)  # budget too small: one fetch, then stop
        assert first.complete and first.references == "limit"
        assert "individual-fetch-limit" in codes(first)
        second = sync(server, st, full=False)  # nothing changed, but references are left over
        assert second.complete and second.references == "resolved"
        assert second.total("created") + second.total("updated") > 0  # what the first run left
        assert all(st.get(i) is not None for i in wanted)
        third = sync(server, st, full=False)  # nothing changed since a run that resolved all
        assert third.complete and third.references == "unchanged"
        assert third.requests == 2 + len(LISTS_1_1)  # System, body list, one page per list: nothing fetched alone
        assert "oparl-q15-unlisted-reference" not in codes(third)
        assert third.total("created") == third.total("updated") == 0
        fourth = sync(server, st, full=True)  # a full run always looks
        assert fourth.complete and fourth.references == "resolved"


# Row 16: raw control characters in JSON strings.
def test_control_characters(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["control_chars"])
    report = sync(server, store)
    clean_run(report)
    assert report.control_characters_removed == 2 * len(
        [p for p in server.dataset.ids("Paper") if int(p.rsplit("/", 1)[1]) % 5 == 1]
    )
    assert report.counts["Paper"]["created"] == len(server.dataset.ids("Paper"))
    affected = [p for p in server.dataset.ids("Paper") if int(p.rsplit("/", 1)[1]) % 5 == 1]
    assert affected
    for pid in affected:
        name = data(store, pid)["name"]
        assert not _CONTROL.search(name), repr(name)
        assert re.sub(r"\s", "", name) == server.dataset.get(pid)["name"].replace(" ", "")
    assert "oparl-q16-control-characters" in codes(report)


# Row 17: offsets written '+01::00'; date-times in date fields.
def test_double_colon_offsets(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["double_colon_tz"])
    report = sync(server, store)
    clean_run(report)
    for mid in server.dataset.ids("Meeting")[:10]:
        src, got = server.dataset.get(mid), data(store, mid)
        assert datetime.fromisoformat(got["start"]) == datetime.fromisoformat(src["start"])
    terms = records(store, "LegislativeTerm")
    assert terms and all(date.fromisoformat(t["startDate"]) for t in terms)
    assert {"oparl-q17-double-colon", "oparl-q17-datetime-in-date"} <= codes(report)


# Row 18: "N/A", " " and "" values, downloadUrl "", mimeType "pdf", size 0, File.date as date-time.
def test_placeholder_values(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["na_values"])
    report = sync(server, store)
    clean_run(report)
    for f in records(store, "File"):
        assert "downloadUrl" not in f or f["downloadUrl"] is None
        assert f["mimeType"] == "application/pdf" or "/" in f["mimeType"]
        assert f.get("size") is None
        assert f.get("text") is None
        assert len(f["date"]) == 10
    assert records(store, "File")[0]["mimeType"] == "application/pdf"
    for loc in records(store, "Location"):
        assert loc.get("room") is None and loc.get("streetAddress") is None
    for person in records(store, "Person"):
        assert person.get("formOfAddress") is None and person.get("affix") is None
    for org in records(store, "Organization"):
        assert org.get("shortName") is None and org.get("website") is None
    assert {"oparl-q18-placeholder", "oparl-q18-mimetype", "oparl-q18-size-zero"} <= codes(report)


# Row 19: auxiliaryFile as a single object instead of an array.
def test_single_auxiliary_file_wrapped(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["aux_single"])
    report = sync(server, store)
    clean_run(report)
    checked = 0
    for pid in server.dataset.ids("Paper"):
        aux = server.dataset.get(pid).get("auxiliaryFile")
        if aux:
            assert data(store, pid)["auxiliaryFile"] == [aux[0]]
            assert data(store, aux[0])["type"] == "File"
            checked += 1
    assert checked
    assert "oparl-q19-single-object" in codes(report)


# Row 20: spurious HTTP 500 on list pages is retried. (Retries are counted in report.retries by
# the HTTP layer; there is no notice code because the response itself is standard.)
def test_spurious_500_retried(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["spurious_500"])
    report = sync(server, store)
    clean_run(report)
    assert report.retries > 0
    assert len([r for r in server.requests if r.status == 500]) == report.retries
    assert report.counts["Paper"]["created"] == len(server.dataset.ids("Paper"))


# Row 21: Somacos rejects percent-encoded query values; filters are sent raw.
def test_somacos_unencoded_filters(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["no_url_encoding"], vendor="somacos")
    clean_run(sync(server, store))
    paper = server.dataset.ids("Paper")[0]
    server.dataset.update(paper, name="Raw query geändert", modified=now())
    server.reset_log()
    report = sync(server, store)
    clean_run(report)
    assert not report.full
    filtered = [r for r in server.requests if "modified_since=" in r.query]
    assert filtered and all("%3A" not in r.query.upper() for r in filtered)
    assert report.counts["Paper"]["updated"] == 1
    assert "oparl-q21-unencoded-query" in codes(report)


# Row 22: microseconds in modified_since are rejected; the client never sends them.
# (Always on, so no notice: the client never produces the deviation the server would reject.)
def test_no_microseconds_in_filters(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["no_microseconds"])
    clean_run(sync(server, store))
    paper = server.dataset.ids("Paper")[0]
    server.dataset.update(paper, name="Ohne Mikrosekunden", modified=now())
    server.reset_log()
    report = sync(server, store)
    clean_run(report)
    assert not [r for r in server.requests if r.status == 400]
    assert report.counts["Paper"]["updated"] == 1


# Row 23: https ids under /ris/oparl/ although the server answers http under /oparl/.
def test_https_ids_resolve(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["https_ids"])
    report = sync(server, store)
    clean_run(report)
    papers = records(store, "Paper")
    assert len(papers) == len(server.dataset.ids("Paper"))
    for paper in papers[:5]:
        assert paper["id"].startswith(f"http://127.0.0.1:{server.port}/")
        answer = requests.get(paper["id"], timeout=5)
        assert answer.status_code == 200 and answer.json()["name"] == paper["name"]
    assert "oparl-q23-id-path" in codes(report)
    server.reset_log()
    again = sync(server, store)
    clean_run(again)
    assert again.total("created") == 0 and again.total("updated") == 0


# Row 24: embedded object without id (a meeting location).
def test_embedded_object_without_id(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["embedded_no_id"])
    report = sync(server, store)
    clean_run(report)
    mid = server.dataset.ids("Meeting")[0]
    meeting = data(store, mid)
    assert meeting["location"].startswith(mid + "#")
    src_loc = server.dataset.get(server.dataset.get(mid)["location"])
    assert data(store, meeting["location"])["description"] == src_loc["description"]
    assert "oparl-q24-embedded-without-id" in codes(report)


# Row 25: next links lose the modified_since filter; it is re-appended.
def test_lost_filter_reappended(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["lost_filter"])
    clean_run(sync(server, store))
    stamp = now()
    changed = server.dataset.ids("Paper")[:30]  # more than one page of 20
    for pid in changed:
        server.dataset.update(pid, name=f"Geändert {pid.rsplit('/', 1)[1]}", modified=stamp)
    server.reset_log()
    report = sync(server, store)
    clean_run(report)
    paper_pages = [r for r in server.requests if r.path.endswith("/papers")]
    assert len(paper_pages) >= 2
    assert all("modified_since=" in r.query for r in paper_pages)
    assert report.counts["Paper"]["updated"] == len(changed)
    assert report.counts["Paper"]["unchanged"] == 0
    assert "oparl-q25-lost-filter" in codes(report)


# Row 26: created after modified; embedded objects without created/modified.
def test_created_after_modified(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["created_after_modified"])
    report = sync(server, store)
    clean_run(report)
    for type_name in ("Paper", "Meeting", "AgendaItem", "File"):
        for rec in records(store, type_name):
            assert rec["created"] and rec["modified"], rec["id"]
            assert datetime.fromisoformat(rec["created"]) <= datetime.fromisoformat(rec["modified"]), rec["id"]
    assert {"oparl-q26-created-after-modified", "oparl-q26-inherited-dates"} <= codes(report)


# Row 27: invalid GeoJSON (3 coordinates, text coordinates) is dropped, the Location kept.
def test_bad_geojson_dropped(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["bad_geojson"])
    report = sync(server, store)
    clean_run(report)
    locations = records(store, "Location")
    assert len(locations) == len(server.dataset.ids("Location"))
    assert all(loc.get("geojson") is None for loc in locations)
    assert all(loc.get("description") for loc in locations)
    assert "oparl-q27-geojson" in codes(report)


# Row 28: ALLRIS 4 lists oldest -> newest, every paper stamped 2000-01-01, modified_since useless:
# the incremental run pages back from links.last and finds the added paper with few requests.
def test_allris4_incremental_pages_backwards(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["allris4"], vendor="ccegov", version="1.1")
    first = sync(server, store)
    clean_run(first)
    new_id = server.dataset.add(
        {"type": "Paper", "name": "Neuer Antrag ALLRIS 4", "reference": "2026/4711", "body": server.body_url},
        modified=now(),
    )
    server.reset_log()
    report = sync(server, store)
    clean_run(report)
    assert not report.full
    assert report.counts["Paper"]["created"] == 1
    assert data(store, new_id)["name"] == "Neuer Antrag ALLRIS 4"
    paper_requests = [r for r in server.requests if r.path.endswith("/papers")]
    paper_pages = -(-len(server.dataset.ids("Paper")) // 10)
    assert paper_pages >= 5
    assert len(paper_requests) <= 3, paper_requests
    assert report.requests < first.requests / 2
    assert "oparl-q28-newest-pages" in codes(report)


# Row 30 (more! rubin: time filters useless): every run reads the lists in full.
def test_rubin_reads_lists_in_full(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, vendor="rubin")
    clean_run(sync(server, store))
    server.reset_log()
    report = sync(server, store)
    clean_run(report)
    assert not [r for r in server.requests if "modified_since" in r.query]
    assert report.counts["Paper"]["unchanged"] == len(server.dataset.ids("Paper"))
    assert "oparl-q30-full-list" in codes(report)


# Row 30: an Error object with HTTP 200 ends the run cleanly, naming the server's message.
def test_error_object_with_200(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["error_200"], vendor="rubin")
    report = sync(server, store)
    assert report.status == "incomplete"
    assert any("OParl is not active." in e and server.system_url in e for e in report.errors)
    assert list(store.iter_rows()) == []


# Rows 33 and 34: the same page for every page number, next linking back, a page linking to itself.
def test_pagination_loops_end(oparl_server: OParlFactory, tmp_path: Path) -> None:
    for quirk, code in (
        ("same_page_loop", "pagination-repeat"),
        ("next_loop", "pagination-loop"),
        ("self_link", "pagination-loop"),
    ):
        server = oparl_server(scale=0.005, quirks=[quirk])
        with SQLiteStore(tmp_path / f"{quirk}.db") as store:
            report = sync(server, store)
            assert report.complete, (quirk, report.errors)
            assert code in codes(report), quirk
            assert "no-absence-deletes" in codes(report)
            assert report.requests < 200


# Row 33 (pages without end): a list is cut at the adapter's ``max_pages``; nothing is deleted.
def test_a_list_longer_than_max_pages_is_cut(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005)
    clean_run(sync(server, store))
    report = sync(server, store, full=True, max_pages=1)
    assert not report.complete  # a cut list leaves the run incomplete: the next run reads on
    assert "list-limit-pages" in codes(report)
    assert report.total("deleted") == 0
    assert len(records(store, "Paper")) == len(server.dataset.ids("Paper"))


# Row 36: type URI variants (http://, trailing slash).
def test_type_uri_variants(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["type_variants"])
    report = sync(server, store)
    clean_run(report)
    assert report.counts["Paper"]["created"] == len(server.dataset.ids("Paper"))
    assert report.counts["Meeting"]["created"] == len(server.dataset.ids("Meeting"))
    assert "oparl-q36-type-uri" in codes(report)


# Row 37: unencoded spaces in URLs.
def test_url_spaces_encoded(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["url_spaces"])
    report = sync(server, store)
    clean_run(report)
    files = records(store, "File")
    assert files
    for f in files:
        assert " " not in f["accessUrl"] and "%20" in f["accessUrl"]
    assert requests.get(files[0]["accessUrl"], timeout=5).status_code == 200
    assert "oparl-q37-url-characters" in codes(report)


# Row 37: a single value where a list is expected ("email": "x@y").
def test_single_values_wrapped(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["single_values"])
    report = sync(server, store)
    clean_run(report)
    for pid in server.dataset.ids("Person"):
        assert data(store, pid)["email"] == server.dataset.get(pid)["email"]
    assert "oparl-q37-single-value" in codes(report)


# Row 37: a number where a reference is expected is dropped, the record kept.
def test_number_references_dropped(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["number_refs"])
    report = sync(server, store)
    clean_run(report)
    meetings = records(store, "Meeting")
    assert len(meetings) == len(server.dataset.ids("Meeting"))
    assert all(not m.get("organization") for m in meetings)
    assert "oparl-q37-number-reference" in codes(report)


# Row 37: date-times without offset are read in Europe/Berlin.
def test_naive_datetimes_read_in_berlin(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["naive_datetimes"])
    report = sync(server, store)
    clean_run(report)
    offsets = set()
    for mid in server.dataset.ids("Meeting"):
        src = datetime.fromisoformat(server.dataset.get(mid)["start"])
        got = datetime.fromisoformat(data(store, mid)["start"])
        assert got == src, mid
        offsets.add(src.utcoffset())
    assert len(offsets) == 2  # summer and winter time both read right
    assert "oparl-q37-naive-datetime" in codes(report)


# Row 37: a date where a date-time is expected becomes midnight in Europe/Berlin.
def test_date_for_datetime(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["date_for_datetime"])
    report = sync(server, store)
    clean_run(report)
    mid = server.dataset.ids("Meeting")[0]
    day = date.fromisoformat(server.dataset.get(mid)["start"][:10])
    got = datetime.fromisoformat(data(store, mid)["start"])
    assert got == datetime(day.year, day.month, day.day, tzinfo=BERLIN)
    assert "oparl-q37-date-for-datetime" in codes(report)


# Row 38: license as free text is kept as given.
def test_license_text_kept(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["license_text"])
    report = sync(server, store)
    clean_run(report)
    assert data(store, server.body_url)["license"] == LICENSE_TEXT
    assert "oparl-q38-license-text" in codes(report)


# Row 39 (with 13): the object fetched claims another id; keyed on its id, the URL kept as alias.
def test_id_mismatch_recorded_as_alias(oparl_server: OParlFactory, store: SQLiteStore) -> None:
    server = oparl_server(scale=0.005, quirks=["id_mismatch", "thin_papers"])
    report = sync(server, store)
    clean_run(report)
    fetched = server.dataset.ids("Paper")[0]
    row = store.get(fetched)
    assert row is not None
    assert row.id == fetched + "?format=json"
    assert row.data["name"] == server.dataset.get(fetched)["name"]
    assert "oparl-q39-id-mismatch" in codes(report)
    assert json.loads(json.dumps(report.to_json_dict()))["status"] == "complete"
