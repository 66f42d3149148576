"""The two store reads monitoring needs, on SQLite and PostgreSQL alike: records per source and
type (deleted ones not counted), and the newest events first."""

from __future__ import annotations

import json

from ris_connector.store import Store, WriteBatch


def _write(store: Store, source: str, rows: list[tuple[str, str, bool]]) -> None:
    run = store.start_run(source, "test", full=True, started="2026-01-01T00:00:00+00:00")
    batch = WriteBatch(source, run, "2026-01-01T00:00:00+00:00")
    for rid, type_name, deleted in rows:
        batch.upserts.append((rid, type_name, f"h-{rid}", json.dumps({"id": rid, "type": type_name}), deleted))
        batch.events.append(("deleted" if deleted else "created", type_name, rid, [], {}))
    store.apply(batch)


def test_record_counts_and_recent_changes(any_store: Store) -> None:
    _write(any_store, "a", [("a/p1", "Paper", False), ("a/p2", "Paper", False), ("a/m1", "Meeting", True)])
    _write(any_store, "b", [("b/p1", "Paper", False)])
    assert any_store.record_counts() == {("a", "Paper"): 2, ("b", "Paper"): 1}
    newest = any_store.recent_changes(limit=2)
    assert [e.id for e in newest] == ["b/p1", "a/m1"] and newest[0].seq > newest[1].seq
    assert [e.id for e in any_store.recent_changes(source="a", limit=5)] == ["a/m1", "a/p2", "a/p1"]
    assert any_store.recent_changes(source="nobody") == []
