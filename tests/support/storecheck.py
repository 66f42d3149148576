"""Reading a store's tables directly (SQLite or PostgreSQL) and checking its invariants.

The checks look below the Store API on purpose: they must catch a half-written batch that
the API would hide.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

#: Fields that differ between two chains although the content is the same: timestamps the test
#: sets at mutation time, provenance, and ``sha1Checksum`` (the sample
#: server derives ``sha1Checksum`` from the file URL, which contains its port).
VOLATILE = {"provenance", "created", "modified", "sha1Checksum"}


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (no parameters) on the store at ``url``."""
    if url.startswith(("postgresql://", "postgres://")):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    db = sqlite3.connect(url)
    try:
        return [tuple(r) for r in db.execute(sql).fetchall()]
    finally:
        db.close()


def invariant_violations(url: str) -> list[str]:
    """Problems that no sequence of committed batches may leave behind (empty list = consistent)."""
    problems: list[str] = []
    checks = {
        "change event for a record that does not exist": (
            "SELECT e.id FROM events e LEFT JOIN records r ON r.id = e.id WHERE r.id IS NULL"
        ),
        "record without any change event": (
            "SELECT r.id FROM records r WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = r.id)"
        ),
        "reference from a record that does not exist": (
            "SELECT DISTINCT f.src FROM refs f LEFT JOIN records r ON r.id = f.src WHERE r.id IS NULL"
        ),
        "alias of a record that does not exist": (
            "SELECT a.alias FROM aliases a LEFT JOIN records r ON r.id = a.id WHERE r.id IS NULL"
        ),
        "record whose last event is 'deleted' but which is live": (
            "SELECT r.id FROM records r JOIN events e ON e.id = r.id "
            "WHERE e.seq = (SELECT MAX(seq) FROM events x WHERE x.id = r.id) AND e.kind = 'deleted' "
            "AND r.deleted = 0"
            if not url.startswith("postgres")
            else "SELECT r.id FROM records r JOIN events e ON e.id = r.id "
            "WHERE e.seq = (SELECT MAX(seq) FROM events x WHERE x.id = r.id) AND e.kind = 'deleted' "
            "AND NOT r.deleted"
        ),
        "state for a source without runs": (
            "SELECT s.source FROM state s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.source = s.source)"
        ),
    }
    for what, sql in checks.items():
        rows = query(url, sql)
        if rows:
            problems.append(f"{what}: {len(rows)} (e.g. {rows[0][0]})")
    return problems


@dataclass
class Snapshot:
    """What a store holds, with the server origin replaced so that two servers compare equal."""

    records: dict[str, tuple[str, bool, str]]
    """id -> (type, deleted, content JSON without volatile fields; ids in it masked, so no hash)."""
    events: Counter[tuple[str, str, str, str]]
    """(kind, type, id, fields JSON) -> count."""
    refs: set[tuple[str, str, str]]
    states: set[str]
    created_per_id: Counter[str]


def snapshot(url: str, origin: str) -> Snapshot:
    """A comparable picture of the store at ``url``; ``origin`` (``http://127.0.0.1:PORT``) is masked."""

    def mask(text: str) -> str:
        return text.replace(origin, "ORIGIN")

    records: dict[str, tuple[str, bool, str]] = {}
    for rid, type_name, data, deleted in query(url, "SELECT id, type, data, deleted FROM records"):
        content = {k: v for k, v in json.loads(data).items() if k not in VOLATILE}
        records[mask(rid)] = (type_name, bool(deleted), mask(json.dumps(content, sort_keys=True)))
    events: Counter[tuple[str, str, str, str]] = Counter()
    created: Counter[str] = Counter()
    for kind, type_name, rid, fields in query(url, "SELECT kind, type, id, fields FROM events"):
        events[(kind, type_name, mask(rid), fields)] += 1
        if kind == "created":
            created[mask(rid)] += 1
    refs = {(mask(s), f, mask(d)) for s, f, d in query(url, "SELECT src, field, dst FROM refs")}
    states = {mask(s) for (s,) in query(url, "SELECT stream FROM state")}
    return Snapshot(records, events, refs, states, created)
