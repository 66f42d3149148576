"""SQLite store writes: missing references cleared when found, change events read back intact."""

from __future__ import annotations

import json
from pathlib import Path

from ris_connector.store.base import WriteBatch
from ris_connector.store.sqlite import SQLiteStore

PERSON = "https://x.example/person/1"
MEETING = "https://x.example/meeting/1"


def test_found_record_is_no_longer_missing(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        first = WriteBatch("src", 1, "2024-01-01T00:00:00+00:00")
        first.missing.append((PERSON, MEETING, "HTTP 404: not found"))
        first.found.append(MEETING)  # found while nothing of it is missing: a no-op
        store.apply(first)
        assert [m["id"] for m in store.missing_references()] == [PERSON]
        second = WriteBatch("src", 2, "2024-01-02T00:00:00+00:00")
        second.upserts.append((PERSON, "Person", "h", json.dumps({"id": PERSON, "type": "Person"}), False))
        second.found.append(PERSON)
        store.apply(second)
        assert store.missing_references() == []


def test_change_events_read_back_with_non_ascii_values(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        batch = WriteBatch("src", 1, "2024-01-01T00:00:00+00:00")
        batch.events.append(("created", "Person", PERSON, ["familyName", "id"], {}))
        point = {"type": "Point", "coordinates": [1e-5, 52.5]}
        changes = {"name": ["Rathaus", "Großer Saal „Ost“"], "geojson": [None, point]}
        batch.events.append(("updated", "Location", "https://x.example/l/1", ["geojson", "name"], changes))
        store.apply(batch)
        created, updated = list(store.changes())
        assert created.kind == "created" and created.fields == ["familyName", "id"] and created.changes == {}
        assert updated.changes == {"name": ["Rathaus", "Großer Saal „Ost“"], "geojson": [None, point]}
