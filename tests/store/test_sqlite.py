"""SQLite store writes: missing references, change events, references a record holds, schema migration."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ris_connector.errors import StoreError
from ris_connector.store.base import WriteBatch
from ris_connector.store.sqlite import SQLiteStore
from ris_connector.store.sqlite_schema import SCHEMA_VERSION

CURRENT = str(SCHEMA_VERSION)

PERSON = "https://x.example/person/1"
MEETING = "https://x.example/meeting/1"
ORG = "https://x.example/organization/1"


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
        changes: dict[str, list[Any]] = {"name": ["Rathaus", "Großer Saal „Ost“"], "geojson": [None, point]}
        batch.events.append(("updated", "Location", "https://x.example/l/1", ["geojson", "name"], changes))
        store.apply(batch)
        created, updated = list(store.changes())
        assert created.kind == "created" and created.fields == ["familyName", "id"] and created.changes == {}
        assert updated.changes == {"name": ["Rathaus", "Großer Saal „Ost“"], "geojson": [None, point]}


def _refs_batch(run_id: int) -> WriteBatch:
    batch = WriteBatch("src", run_id, f"2024-01-0{run_id}T00:00:00+00:00")
    batch.upserts.append((MEETING, "Meeting", "h", json.dumps({"id": MEETING, "type": "Meeting"}), False))
    pairs = [("participant", PERSON), ("organization", ORG), ("participant", PERSON)]  # a repeated pair
    batch.refs[MEETING] = pairs
    return batch


def test_references_replace_the_record_before_and_read_back_one_a_row(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        store.apply(_refs_batch(1))
        rows = store._db.execute("SELECT src, field, dst FROM refs ORDER BY field").fetchall()
        assert rows == [(MEETING, "organization", ORG), (MEETING, "participant", PERSON)]
        assert store.referrers([PERSON, ORG, MEETING]) == {
            ORG: [(MEETING, "organization")],
            PERSON: [(MEETING, "participant")],
        }
        assert [d for d, _ in store.dangling_references("src", 1, full=False, limit=10)] == [ORG, PERSON]
        second = WriteBatch("src", 2, "2024-01-02T00:00:00+00:00")
        second.refs[MEETING] = [("organization", ORG)]
        store.apply(second)
        assert store.referrers([PERSON, ORG]) == {ORG: [(MEETING, "organization")]}
        third = WriteBatch("src", 3, "2024-01-03T00:00:00+00:00")
        third.refs[MEETING] = []  # the record holds no references any more
        store.apply(third)
        assert store._db.execute("SELECT count(*) FROM refs").fetchone() == (0,)
        assert store.dangling_references("src", 3, full=False, limit=10) == []


def test_a_schema_1_store_is_brought_up_to_date_and_keeps_its_references(tmp_path: Path) -> None:
    """Version 1 kept a reference a row in a table ``refs``; opening it migrates, losing nothing."""
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    old = sqlite3.connect(path)
    old.executescript(
        """DROP VIEW refs; DROP TABLE ref_lists;
           CREATE TABLE refs (src TEXT NOT NULL, field TEXT NOT NULL, dst TEXT NOT NULL,
                              PRIMARY KEY (src, field, dst));
           CREATE INDEX refs_dst ON refs (dst);
           UPDATE meta SET value = '1' WHERE key = 'schema_version';"""
    )
    old.executemany(
        "INSERT INTO refs VALUES (?, ?, ?)",
        [(MEETING, "participant", PERSON), (MEETING, "organization", ORG), (PERSON, "body", "https://x.example/b")],
    )
    old.execute("INSERT INTO records VALUES (?, 'Meeting', 'src', 'h', '{}', 0, 'a', 'a', 1)", (MEETING,))
    old.commit()
    old.close()
    with SQLiteStore(path) as store:
        assert store._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (CURRENT,)
        assert store._db.execute("SELECT type FROM sqlite_master WHERE name='refs'").fetchone() == ("view",)
        assert sorted(store._db.execute("SELECT src, field, dst FROM refs")) == [
            (MEETING, "organization", ORG),
            (MEETING, "participant", PERSON),
            (PERSON, "body", "https://x.example/b"),
        ]
        assert [d for d, _ in store.dangling_references("src", 2, full=False, limit=10)] == [ORG, PERSON]
    with SQLiteStore(path) as again:  # opening it again changes nothing
        assert again._db.execute("SELECT count(*) FROM refs").fetchone() == (3,)


def test_a_store_of_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.execute("DROP VIEW refs")  # a newer schema may well lay out what this version creates differently
    db.execute("DROP TABLE ref_lists")
    db.execute("CREATE TABLE refs (x)")
    db.commit()
    before = db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    with pytest.raises(StoreError, match=r"newer ris-connector \(schema 99\)"):
        SQLiteStore(path)
    assert db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == before
    db.close()


def test_creating_the_schema_is_all_or_nothing(tmp_path: Path) -> None:
    """A creation that fails half-way (here: a foreign object named like a table) leaves no tables behind."""
    path = tmp_path / "odd.db"
    db = sqlite3.connect(path)
    db.execute("CREATE VIEW events AS SELECT 1 AS x")  # the DDL's index on events cannot be built
    db.commit()
    with pytest.raises(StoreError, match="cannot open SQLite store"):
        SQLiteStore(path)
    assert db.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall() == [("events",)]
    db.close()


def test_a_file_whose_creation_was_cut_off_is_completed(tmp_path: Path) -> None:
    """Version 0.1.0 created the tables one by one; a file killed in between opens as a whole store."""
    path = tmp_path / "cut.db"
    db = sqlite3.connect(path)
    db.executescript(
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
           CREATE TABLE refs (src TEXT NOT NULL, field TEXT NOT NULL, dst TEXT NOT NULL,
                              PRIMARY KEY (src, field, dst));"""
    )
    db.close()
    with SQLiteStore(path) as store:
        store.apply(_refs_batch(1))
        assert store._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (CURRENT,)
        assert store._db.execute("SELECT count(*) FROM refs").fetchone() == (2,)
        assert store.runs() == []
