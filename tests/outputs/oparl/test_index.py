"""List behaviour of the OParl output: filters on the store's change times, tombstones only with
``modified_since``, pagination links that keep the filters, ``omit_internal``; and the two store
reads the output added (``record_times``, ``referrers``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.clock import FixedClock
from ris_connector.outputs.oparl import OParlApp, create_app
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.oparl_schema import problems
from tests.support.ristest import oparl_source, sync
from tests.support.urn_source import CANCELLED_MEETING_ID, MEETING_ID, NEW_ORG_ID, PAPER_ID, sync_urn, urn
from tests.support.wsgi_serve import serve_wsgi

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)
BASE = "http://oparl.example/v1"


def _iso(t: datetime) -> str:
    return t.isoformat()


@pytest.fixture
def rounds(tmp_path: Path) -> Iterator[SQLiteStore]:
    """The urn source synced three times: T0 (round 1), T1 (meeting renamed, paper deleted), T2 (new org)."""
    clock = FixedClock(T0)
    with SQLiteStore(tmp_path / "rounds.db") as store:
        sync_urn(store, round=1, clock=clock)
        clock.set(T1)
        sync_urn(store, round=2, clock=clock)
        clock.set(T2)
        sync_urn(store, round=3, clock=clock)
        yield store


def _list(app: OParlApp, name: str, **params: str) -> dict[str, Any]:
    status, bodies = app.get_json("/body")
    assert status == 200
    url = bodies["data"][0][name]
    query = "&".join(f"{k}={v.replace('+', '%2B')}" for k, v in params.items())
    status, page = app.get_json(url[len(BASE) :], query)
    assert status == 200, page
    return page


def _origins(page: dict[str, Any]) -> list[str]:
    return [o.get("ris:originalId", o["id"]) for o in page["data"]]


def test_filters_use_the_stores_change_times(rounds: SQLiteStore) -> None:
    app = create_app(rounds, base_url=BASE)
    half = _iso(T0 + timedelta(minutes=30))
    assert _origins(_list(app, "meeting", modified_since=half)) == [MEETING_ID]
    assert _origins(_list(app, "meeting", modified_until=half)) == [CANCELLED_MEETING_ID]
    later = _iso(T1 + timedelta(minutes=30))
    assert _origins(_list(app, "organization", created_since=later)) == [NEW_ORG_ID]
    assert _origins(_list(app, "organization", created_until=later)) == [urn("Organization", "o1")]
    # Bounds are inclusive.
    assert _origins(_list(app, "organization", created_since=_iso(T0), created_until=_iso(T0))) == [
        urn("Organization", "o1")
    ]
    meeting = next(m for m in _list(app, "meeting")["data"] if m["ris:originalId"] == MEETING_ID)
    assert (meeting["created"], meeting["modified"]) == (_iso(T0), _iso(T1))
    assert meeting["name"] == "Sondersitzung des Bauausschusses"


def test_deleted_objects_are_tombstones_only_with_modified_since(rounds: SQLiteStore) -> None:
    app = create_app(rounds, base_url=BASE)
    assert _list(app, "paper")["data"] == []
    page = _list(app, "paper", modified_since=_iso(T0 + timedelta(minutes=30)))
    assert len(page["data"]) == 1
    tombstone = page["data"][0]
    assert tombstone == {
        "id": app.url_for(PAPER_ID),
        "type": "https://schema.oparl.org/1.1/Paper",
        "created": _iso(T0),
        "modified": _iso(T1),
        "deleted": True,
    }
    assert _list(app, "paper", modified_since=_iso(T1 + timedelta(minutes=1)))["data"] == []
    status, single = app.get_json(tombstone["id"][len(BASE) :])
    assert status == 200 and single == tombstone
    # The consultation still names the paper; its URL answers with the tombstone.
    consultation = _list(app, "consultation")["data"][0]
    assert consultation["paper"] == tombstone["id"]
    # The paper's main file no longer lists the paper.
    status, main_file = app.get_json(app.url_for(urn("File", "f4"))[len(BASE) :])  # type: ignore[index]
    assert status == 200 and "paper" not in main_file


def test_pagination_links_keep_filters_and_limit(rounds: SQLiteStore) -> None:
    app = create_app(rounds, base_url=BASE)
    since = _iso(T0 - timedelta(days=1))
    first = _list(app, "file", modified_since=since, limit="3")
    assert first["pagination"] == {"totalElements": 4, "elementsPerPage": 3, "currentPage": 1, "totalPages": 2}
    links = first["links"]
    assert "prev" not in links and links["first"] == links["self"]
    assert "modified_since=" in links["next"] and "limit=3" in links["next"] and "page=2" in links["next"]
    assert links["last"] == links["next"]
    url, query = links["next"][len(BASE) :].split("?", 1)
    status, second = app.get_json(url, query)
    assert status == 200
    assert second["pagination"]["currentPage"] == 2 and len(second["data"]) == 1
    assert "next" not in second["links"] and second["links"]["prev"] == links["first"]
    ids = [o["id"] for o in first["data"] + second["data"]]
    assert sorted(ids) == sorted(o["id"] for o in _list(app, "file")["data"])
    assert len(set(ids)) == 4


def test_plain_pages_are_linked_by_path(oparl_server: Any, tmp_path: Path) -> None:
    """Without filters the pages of a long list live at <list>/page/N (what the static export writes)."""
    server = oparl_server(version="1.1", scale=0.01)
    with SQLiteStore(tmp_path / "sample.db") as store:
        sync(server, store)
        app = create_app(store, base_url=BASE)
        status, bodies = app.get_json("/body")
        lists = [bodies["data"][0][name] for name in ("agendaItem", "file", "consultation", "person", "membership")]
        pages = [app.get_json(u[len(BASE) :])[1] for u in lists]
        long = next(p for p in pages if p["pagination"]["totalPages"] > 1)
        list_url = long["links"]["self"]
        assert long["links"]["next"] == f"{list_url}/page/2"
        status, second = app.get_json(long["links"]["next"][len(BASE) :])
        status_q, second_q = app.get_json(list_url[len(BASE) :], "page=2")
    assert status == 200 and second["pagination"]["currentPage"] == 2
    assert second["links"]["prev"] == list_url and second["links"]["self"] == f"{list_url}/page/2"
    assert status_q == 200 and second_q["data"] == second["data"]


def test_omit_internal_leaves_out_embedded_objects(rounds: SQLiteStore) -> None:
    app = create_app(rounds, base_url=BASE)
    full = next(m for m in _list(app, "meeting")["data"] if m["ris:originalId"] == MEETING_ID)
    assert {"agendaItem", "location", "invitation", "resultsProtocol"} <= set(full)
    page = _list(app, "meeting", omit_internal="true")
    lean = next(m for m in page["data"] if m["ris:originalId"] == MEETING_ID)
    assert not {"agendaItem", "location", "invitation", "resultsProtocol"} & set(lean)
    assert lean["organization"] == full["organization"]
    assert "omit_internal=true" in page["links"]["self"]
    assert all(problems(o) == [] for o in page["data"])
    status, bodies = app.get_json("/body", "omit_internal=1")
    assert status == 200 and bodies["data"][0]["legislativeTerm"] == []  # required by the schema, kept
    status, single = app.get_json(full["id"][len(BASE) :], "omit_internal=true")
    assert status == 200 and "agendaItem" not in single


def test_consumer_polling_with_modified_since_gets_every_change(tmp_path: Path) -> None:
    """An OParl consumer (our own adapter, no overlap) that polls with modified_since sees changes
    synced into the store after its last visit, although the source stamps no modified at all."""
    with SQLiteStore(tmp_path / "first.db") as first, SQLiteStore(tmp_path / "consumer.db") as consumer:
        sync_urn(first, round=1)
        app = create_app(first)
        with serve_wsgi(app) as base:
            source = oparl_source(f"{base}/system", name="consumer", overlap="0s")
            assert run_source(source, consumer).complete
            paper_url = app.url_for(PAPER_ID, base)
            assert paper_url is not None and consumer.get(paper_url) is not None
            sync_urn(first, round=2)
            report = run_source(source, consumer)
        assert report.complete and not report.full
        assert report.counts["Paper"]["deleted"] == 1
        assert report.counts["Meeting"]["updated"] == 1
        meeting = consumer.get(str(app.url_for(MEETING_ID, base)))
        assert meeting is not None and meeting.data["name"] == "Sondersitzung des Bauausschusses"
        assert consumer.get(paper_url).deleted


def test_store_reads_for_the_output(rounds: SQLiteStore, tmp_path: Path) -> None:
    times = rounds.record_times([MEETING_ID, CANCELLED_MEETING_ID, PAPER_ID, "urn:nothing"])
    assert times == {
        MEETING_ID: (_iso(T0), _iso(T1)),
        CANCELLED_MEETING_ID: (_iso(T0), _iso(T0)),
        PAPER_ID: (_iso(T0), _iso(T1)),
    }
    refs = rounds.referrers([urn("File", "f4"), urn("Location", "l1"), "urn:nothing"])
    assert "urn:nothing" not in refs and urn("File", "f4") not in refs  # the deleted paper's refs are gone
    assert refs[urn("Location", "l1")] == sorted([(MEETING_ID, "location"), (urn("Person", "p1"), "location")])
    with SQLiteStore(tmp_path / "r1.db") as fresh:
        sync_urn(fresh, round=1)
        assert fresh.referrers([urn("File", "f4")]) == {urn("File", "f4"): [(PAPER_ID, "main_file")]}
