"""The SQLite schema of the store. Bump ``SCHEMA_VERSION`` and add a step when it changes."""

from __future__ import annotations

SCHEMA_VERSION = 3

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    seen_run INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_source_type ON records (source, type);
CREATE INDEX IF NOT EXISTS records_type ON records (type, id);
CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, id TEXT NOT NULL);
-- The references a record holds, one row per record: pairs = JSON [field, dst, field, dst, ...].
-- A row per reference (about three a record) cost three b-tree entries each (row, key, dst
-- index) and a fifth of a full sync's time. The view ``refs`` shows them a reference a row.
-- (WITHOUT ROWID measured slower: rows of whole lists are too long for it.)
CREATE TABLE IF NOT EXISTS ref_lists (src TEXT PRIMARY KEY, pairs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    run_id INTEGER,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    fields TEXT NOT NULL,
    changes TEXT
);
CREATE INDEX IF NOT EXISTS events_id ON events (id);
CREATE TABLE IF NOT EXISTS state (
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    value TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (source, stream)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    adapter TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    full INTEGER NOT NULL,
    report TEXT
);
CREATE INDEX IF NOT EXISTS runs_source ON runs (source, run_id);
CREATE TABLE IF NOT EXISTS quarantine (
    qid INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    type TEXT,
    ref TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    qkey TEXT
);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE TABLE IF NOT EXISTS missing (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    referrer TEXT,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

#: One statement, created after the migration steps (version 1 had a table of this name).
VIEWS = """
CREATE VIEW IF NOT EXISTS refs (src, field, dst) AS
    SELECT r.src, json_extract(r.pairs, '$[' || (d.key - 1) || ']'), d.value
    FROM ref_lists r, json_each(r.pairs) d WHERE d.key % 2 = 1
"""

#: Created after the migration steps (schema 2 had no ``qkey``): one row per rejected record.
QUARANTINE_KEY = "CREATE UNIQUE INDEX IF NOT EXISTS quarantine_key ON quarantine (source, qkey)"
