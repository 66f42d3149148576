"""The PostgreSQL schema of the store (same tables as SQLite). Bump ``SCHEMA_VERSION`` on change.

Times are kept as the same ISO 8601 text the SQLite store keeps, and record data as JSON
text (``data::jsonb`` works in queries), so both stores return byte-identical rows.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT COLLATE "C" PRIMARY KEY,
    type TEXT COLLATE "C" NOT NULL,
    source TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    seen_run BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_source_type ON records (source, type);
CREATE INDEX IF NOT EXISTS records_type ON records (type, id);
CREATE TABLE IF NOT EXISTS aliases (alias TEXT COLLATE "C" PRIMARY KEY, id TEXT COLLATE "C" NOT NULL);
CREATE TABLE IF NOT EXISTS refs (
    src TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    dst TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (src, field, dst)
);
CREATE INDEX IF NOT EXISTS refs_dst ON refs (dst);
CREATE TABLE IF NOT EXISTS events (
    seq BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    run_id BIGINT,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    fields TEXT NOT NULL,
    changes TEXT
);
CREATE INDEX IF NOT EXISTS events_id ON events (id);
CREATE TABLE IF NOT EXISTS state (
    source TEXT NOT NULL,
    stream TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (source, stream)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id BIGSERIAL PRIMARY KEY,
    source TEXT COLLATE "C" NOT NULL,
    adapter TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    full_run BOOLEAN NOT NULL,
    report TEXT
);
CREATE INDEX IF NOT EXISTS runs_source ON runs (source, run_id);
CREATE TABLE IF NOT EXISTS quarantine (
    qid BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    at TEXT NOT NULL,
    type TEXT,
    ref TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    qkey TEXT COLLATE "C"
);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE TABLE IF NOT EXISTS missing (
    id TEXT COLLATE "C" PRIMARY KEY,
    source TEXT NOT NULL,
    referrer TEXT,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

#: Created after the migration steps (schema 1 had no ``qkey``): one row per rejected record.
QUARANTINE_KEY = "CREATE UNIQUE INDEX IF NOT EXISTS quarantine_key ON quarantine (source, qkey)"
