"""The spine's promise: full sync, unchanged incremental run, then exactly the changes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ris_connector.cli import main
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore, Store
from tests.support.ristest import OParlFactory, oparl_source, sync


def _list_requests(server: OParlServer) -> list[tuple[str, str]]:
    return [(r.path, r.query) for r in server.requests]


def test_full_then_unchanged_then_exact_changes(
    oparl_server: OParlFactory, any_store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = any_store
    server = oparl_server(version="1.1", scale=0.01)
    first = sync(server, store)
    assert first.complete and first.full
    assert first.total("created") > 500
    assert first.total("quarantined") == 0
    meetings = len(server.dataset.ids("Meeting"))
    assert first.counts["Meeting"]["created"] == meetings

    server.reset_log()
    second = sync(server, store)
    assert second.complete and not second.full
    assert second.total("created") == second.total("updated") == second.total("deleted") == 0
    # One request for the System, one for the body list, one filtered request per list (10 in 1.1).
    requests = _list_requests(server)
    assert len(requests) == 12, requests
    assert all("modified_since=" in q for p, q in requests[2:])
    assert second.requests == 12

    # Change, delete and add on the server, stamped with the real current time.
    now = datetime.now(timezone.utc).replace(microsecond=0)
    paper_id = server.dataset.ids("Paper")[0]
    server.dataset.update(paper_id, name="Geänderter Titel der Vorlage", modified=now)
    gone_id = server.dataset.ids("Organization")[-1]
    server.dataset.delete(gone_id, modified=now)
    body_id = server.dataset.bodies[0]
    new_id = server.dataset.add(
        {
            "type": "Paper",
            "name": "Neuer Antrag zur Radverkehrsplanung",
            "reference": "2026/9999",
            "paperType": "Antrag",
            "body": body_id,
        },
        modified=now,
    )
    events_before = max((e.seq for e in store.changes()), default=0)
    third = sync(server, store)
    assert third.complete and not third.full
    assert third.counts["Paper"]["updated"] == 1
    assert third.counts["Paper"]["created"] == 1
    assert third.counts["Organization"]["deleted"] == 1
    assert third.total("updated") == 1 and third.total("created") == 1 and third.total("deleted") == 1

    events = [e for e in store.changes(after=events_before)]
    by_kind = {(e.kind, e.id): e for e in events}
    assert set(by_kind) == {
        ("updated", store.get(paper_id).id),
        ("created", store.get(new_id).id),
        ("deleted", store.get(gone_id).id),
    }
    assert by_kind[("updated", store.get(paper_id).id)].fields == ["name"]
    assert store.get(gone_id).deleted

    # The CLI shows the same three events.
    assert main(["changes", "--db", store_url, "--after", str(events_before)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(line["kind"] for line in lines) == ["created", "deleted", "updated"]
    assert all({"seq", "kind", "type", "id", "fields"} <= set(line) for line in lines)


def test_oparl_1_0_has_four_lists(oparl_server: OParlFactory, any_store: Store) -> None:
    store = any_store
    server = oparl_server(version="1.0", scale=0.01)
    report = sync(server, store)
    assert report.complete
    server.reset_log()
    sync(server, store)
    paths = [r.path for r in server.requests]
    assert len(paths) == 2 + 4, paths


def test_full_reconciliation_deletes_absent_records(oparl_server: OParlFactory, any_store: Store) -> None:
    store = any_store
    server = oparl_server(version="1.1", scale=0.01)
    sync(server, store)
    # A paper vanishes without a tombstone (the server forgot it); only a full run notices.
    victim = server.dataset.ids("Paper")[3]
    with server.dataset.lock:
        path = server.dataset.path_of(victim)
        for lists in server.dataset.lists.values():
            for ids in lists.values():
                if path in ids:
                    ids.remove(path)
        del server.dataset.objects[path]
    incremental = sync(server, store)
    assert incremental.total("deleted") == 0
    full = sync(server, store, full=True)
    assert full.complete
    assert full.counts["Paper"]["deleted"] == 1
    assert store.get(victim).deleted


def test_second_store_file_is_independent(oparl_server: OParlFactory, tmp_path: Path) -> None:
    server = oparl_server(version="1.1", scale=0.005)
    with SQLiteStore(tmp_path / "a.db") as a, SQLiteStore(tmp_path / "b.db") as b:
        ra = sync(server, a)
        rb = sync(server, b)
    assert ra.total("created") == rb.total("created")


def test_state_committed_with_data(oparl_server: OParlFactory, any_store: Store) -> None:
    store = any_store
    server = oparl_server(version="1.1", scale=0.005)
    sync(server, store)
    states = store.stream_states("test")
    assert len(states) == 10
    assert all("watermark" in s for s in states.values())
    assert oparl_source(server.system_url).name == "test"
