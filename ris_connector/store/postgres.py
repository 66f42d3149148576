"""The shared store: PostgreSQL through psycopg 3, one transaction per batch, advisory locks.

Chosen by a ``postgresql://`` URL. The tables live in the connection's current schema (pass
``?options=-csearch_path%3Dname`` to use another one), so one database can hold several stores.

* The per-source lock is a session-level advisory lock: PostgreSQL releases it when the
  connection ends, so a killed process never leaves a source locked.
* Change events get their ``seq`` from a sequence while the inserting transaction holds a
  transaction-level advisory lock of the store. Event-writing transactions therefore commit one
  after the other, in ``seq`` order: a consumer that read up to ``seq`` N never misses an event
  committed later with a number below N (a plain sequence would allow exactly that when two
  transactions overlap).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg

from ris_connector.errors import LockedError, StoreError, redact_url
from ris_connector.jsontext import compact
from ris_connector.store.base import READ_WHOLE_SOURCE, ChangeEvent, RunInfo, StoredRow, WriteBatch, quarantine_key
from ris_connector.store.connections import PerThread
from ris_connector.store.postgres_schema import DDL, QUARANTINE_KEY, SCHEMA_VERSION

log = logging.getLogger(__name__)

_CHUNK = 5000
_PAGE = 1000


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for ``parts`` (stable across processes)."""
    digest = hashlib.blake2b("\x00".join(("ris-connector", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL characters; upstream garbage may contain them."""
    return value.replace("\x00", "\ufffd") if value is not None and "\x00" in value else value


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield [_text(x) or "" for x in items[i : i + size]]


class PostgresStore:
    """Store in a PostgreSQL database (schema: the connection's ``search_path``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = redact_url(url)  # for messages; never shows the password
        self._conns: PerThread[psycopg.Connection[Any]] = PerThread(
            self._connect, closed_error=lambda: StoreError(f"the PostgreSQL store {self.path} is closed")
        )
        try:
            with self._db.transaction():
                row = self._db.execute("SELECT current_schema()").fetchone()
                if row is None or row[0] is None:
                    raise StoreError(f"{self.path}: no schema to create tables in (check search_path)")
                self.schema = str(row[0])
                # Two processes creating the tables at once would collide; serialize them.
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("ddl", self.schema),))
                self._db.execute(DDL)
                self._check_version()
        except psycopg.Error as exc:
            self._conns.close()
            raise StoreError(f"cannot open PostgreSQL store {self.path}: {_reason(exc)}") from None
        except BaseException:
            self._conns.close()
            raise
        self._events_key = _lock_key("events", self.schema)

    @property
    def _db(self) -> psycopg.Connection[Any]:
        """The calling thread's connection (autocommit outside ``transaction()`` blocks): a
        transaction never spans threads, and no thread reads inside another's transaction."""
        return self._conns.get()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL store {self.path}: {_reason(exc)}") from None

    def _check_version(self) -> None:
        """Refuse a newer schema; bring an older one up to ``SCHEMA_VERSION`` (same transaction)."""
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = None if row is None else int(row[0])
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer ris-connector (schema {version})")
        if version == SCHEMA_VERSION:
            return
        if version is None or version < 2:
            self._keyed_quarantine()
        self._db.execute(
            "INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (str(SCHEMA_VERSION),),
        )
        if version is not None:
            log.info("store %s: schema %d brought up to %d", self.path, version, SCHEMA_VERSION)

    def _keyed_quarantine(self) -> None:
        """Schema 1 -> 2: quarantine rows get their key; of several per key the latest stays."""
        db = self._db
        db.execute('ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS qkey TEXT COLLATE "C"')
        after = 0
        while rows := db.execute(
            "SELECT qid, ref, raw FROM quarantine WHERE qid > %s AND qkey IS NULL ORDER BY qid LIMIT 1000", (after,)
        ).fetchall():
            with db.cursor() as cur:
                cur.executemany(
                    "UPDATE quarantine SET qkey=%s WHERE qid=%s", [(quarantine_key(r, w), q) for q, r, w in rows]
                )
            after = int(rows[-1][0])
        db.execute("DELETE FROM quarantine WHERE qid NOT IN (SELECT MAX(qid) FROM quarantine GROUP BY source, qkey)")
        db.execute(QUARANTINE_KEY)

    def close(self) -> None:
        self._conns.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise StoreError(f"cannot {what} PostgreSQL store {self.path}: {_reason(exc)}") from None

    def _query(self, sql: str, args: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
        with self._errors("read"):
            return self._db.execute(sql, args).fetchall()

    # --- locking ---------------------------------------------------------------------
    @contextlib.contextmanager
    def lock_source(self, source: str, *, wait: bool = False) -> Iterator[None]:
        key = _lock_key("source", self.schema, source)
        with self._errors("lock"):
            if wait:
                self._db.execute("SELECT pg_advisory_lock(%s)", (key,))
            else:
                row = self._db.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if not row or not row[0]:
                    raise LockedError(
                        f"source {source!r} is being synced by another process into {self.path}; try again later"
                    )
        try:
            yield
        finally:
            try:
                self._db.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg.Error as exc:  # connection gone: the server released the lock with it
                log.debug("advisory unlock of %s failed: %s", source, _reason(exc))

    # --- runs ------------------------------------------------------------------------
    def start_run(self, source: str, adapter: str, *, full: bool, started: str) -> int:
        with self._errors("write"), self._db.transaction():
            row = self._db.execute(
                "INSERT INTO runs (source, adapter, started, status, full_run) VALUES (%s, %s, %s, 'running', %s)"
                " RETURNING run_id",
                (source, adapter, started, full),
            ).fetchone()
            assert row is not None
            run_id = int(row[0])
            # A run that never finished (killed) is marked as such when the next one starts.
            self._db.execute(
                "UPDATE runs SET status='aborted' WHERE source=%s AND status='running' AND run_id<>%s",
                (source, run_id),
            )
            return run_id

    def finish_run(self, run_id: int, *, status: str, finished: str, report: Mapping[str, Any]) -> None:
        with self._errors("write"), self._db.transaction():
            self._db.execute(
                "UPDATE runs SET status=%s, finished=%s, report=%s WHERE run_id=%s",
                (status, finished, _text(json.dumps(report, ensure_ascii=False)), run_id),
            )

    @staticmethod
    def _run(row: tuple[Any, ...]) -> RunInfo:
        return RunInfo(
            int(row[0]), row[1], row[2], row[3], row[4], bool(row[5]), json.loads(row[6]) if row[6] else None
        )

    _RUN_COLS = "run_id, source, started, finished, status, full_run, report"

    def runs(self, source: str | None = None, limit: int = 20) -> list[RunInfo]:
        if source is None:
            rows = self._query(f"SELECT {self._RUN_COLS} FROM runs ORDER BY run_id DESC LIMIT %s", (limit,))
        else:
            rows = self._query(
                f"SELECT {self._RUN_COLS} FROM runs WHERE source=%s ORDER BY run_id DESC LIMIT %s", (source, limit)
            )
        return [self._run(r) for r in rows]

    def last_complete_run(self, source: str, *, full_only: bool = False) -> RunInfo | None:
        sql = f"SELECT {self._RUN_COLS} FROM runs WHERE source=%s AND status IN {READ_WHOLE_SOURCE!r}"
        if full_only:
            sql += " AND full_run"
        rows = self._query(sql + " ORDER BY run_id DESC LIMIT 1", (source,))
        return self._run(rows[0]) if rows else None

    def sources(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT source FROM runs ORDER BY source")]

    # --- engine reads ----------------------------------------------------------------
    def get_hashes(self, ids: Iterable[str]) -> dict[str, tuple[str, bool, str, int]]:
        out: dict[str, tuple[str, bool, str, int]] = {}
        for chunk in _chunks(list(ids)):
            for rid, h, deleted, src, seen in self._query(
                "SELECT id, hash, deleted, source, seen_run FROM records WHERE id = ANY(%s)", (chunk,)
            ):
                out[rid] = (h, bool(deleted), src, int(seen))
        return out

    def get_data(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(ids)):
            for rid, data in self._query("SELECT id, data FROM records WHERE id = ANY(%s)", (chunk,)):
                out[rid] = json.loads(data)
        return out

    def record_times(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(list(ids)):
            for rid, first, last in self._query(
                "SELECT id, first_seen, last_changed FROM records WHERE id = ANY(%s)", (chunk,)
            ):
                out[rid] = (str(first), str(last))
        return out

    def referrers(self, ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for chunk in _chunks(list(ids)):
            for src, fld, dst in self._query(
                "SELECT src, field, dst FROM refs WHERE dst = ANY(%s) ORDER BY dst, src, field", (chunk,)
            ):
                out.setdefault(dst, []).append((src, fld))
        return out

    def stream_states(self, source: str) -> dict[str, dict[str, Any]]:
        rows = self._query("SELECT stream, value FROM state WHERE source=%s", (source,))
        return {stream: json.loads(value) for stream, value in rows}

    def resolve_aliases(self, ids: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids)):
            out.update((a, i) for a, i in self._query("SELECT alias, id FROM aliases WHERE alias = ANY(%s)", (chunk,)))
        return out

    def dangling_references(self, source: str, run_id: int, *, full: bool, limit: int) -> list[tuple[str, str]]:
        seen_clause = "OR (t.id IS NOT NULL AND t.seen_run <> %(run)s AND NOT t.deleted)" if full else ""
        missing_clause = "" if full else "AND m.id IS NULL"
        sql = f"""
            SELECT r.dst, MIN(r.src) FROM refs r
            JOIN records s ON s.id = r.src AND s.source = %(source)s AND NOT s.deleted
            LEFT JOIN aliases a ON a.alias = r.dst
            LEFT JOIN records t ON t.id = COALESCE(a.id, r.dst)
            LEFT JOIN missing m ON m.id = r.dst
            WHERE (t.id IS NULL {seen_clause}) {missing_clause}
            GROUP BY r.dst ORDER BY r.dst LIMIT %(limit)s
        """
        rows = self._query(sql, {"source": source, "run": run_id, "limit": limit})
        return [(d, s) for d, s in rows]

    def unseen(self, source: str, run_id: int) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT id, type FROM records WHERE source=%s AND NOT deleted AND seen_run<>%s ORDER BY id",
            (source, run_id),
        )
        return [(i, t) for i, t in rows]

    def live_counts(self, source: str) -> dict[str, int]:
        sql = "SELECT type, COUNT(*) FROM records WHERE source=%s AND NOT deleted GROUP BY type"
        rows = self._query(sql, (source,))
        return {t: int(n) for t, n in rows}

    # --- writes ----------------------------------------------------------------------
    def apply(self, batch: WriteBatch) -> None:
        if batch.is_empty():
            return
        with self._errors("write to"), self._db.transaction():
            self._apply(batch)

    def _apply(self, b: WriteBatch) -> None:
        db = self._db
        with db.cursor() as cur:
            if b.upserts:
                cur.executemany(
                    """INSERT INTO records (id, type, source, hash, data, deleted, first_seen, last_changed, seen_run)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                       ON CONFLICT (id) DO UPDATE SET type=excluded.type, source=excluded.source,
                         hash=excluded.hash, data=excluded.data, deleted=excluded.deleted,
                         last_changed=excluded.last_changed, seen_run=excluded.seen_run""",
                    [
                        (_text(i), t, b.source, h, _text(d), bool(dl), b.now, b.now, b.run_id)
                        for i, t, h, d, dl in b.upserts
                    ],
                )
            if b.seen:
                for chunk in _chunks(b.seen):
                    cur.execute("UPDATE records SET seen_run=%s WHERE id = ANY(%s)", (b.run_id, chunk))
            if b.seen_rejected:
                for chunk in _chunks(b.seen_rejected):
                    cur.execute(
                        "UPDATE records SET seen_run=%s WHERE id = ANY(%s) AND source=%s", (b.run_id, chunk, b.source)
                    )
            if b.rehash:
                cur.executemany(
                    "UPDATE records SET hash=%s, seen_run=%s WHERE id=%s",
                    [(h, b.run_id, _text(i)) for i, h in b.rehash],
                )
            if b.refs:
                for chunk in _chunks(list(b.refs)):
                    cur.execute("DELETE FROM refs WHERE src = ANY(%s)", (chunk,))
                pairs = {(_text(s), _text(f), _text(d)) for s, items in b.refs.items() for f, d in items}
                if pairs:
                    cur.executemany(
                        "INSERT INTO refs (src, field, dst) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", sorted(pairs)
                    )
            if b.aliases:
                cur.executemany(
                    "INSERT INTO aliases (alias, id) VALUES (%s, %s) ON CONFLICT (alias) DO UPDATE SET id=excluded.id",
                    [(_text(a), _text(i)) for a, i in dict(b.aliases).items()],
                )
            if b.events:
                # Serialize event writers: seq order is commit order (see the module docstring).
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._events_key,))
                cur.executemany(
                    "INSERT INTO events (at, source, run_id, kind, type, id, fields, changes)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (
                            b.now,
                            b.source,
                            b.run_id,
                            k,
                            t,
                            _text(i),
                            compact(f),
                            compact(c) if c else None,
                        )
                        for k, t, i, f, c in b.events
                    ],
                )
            self._apply_quarantine(cur, b)
            if b.missing:
                latest = {_text(i): (_text(ref), _text(reason)) for i, ref, reason in b.missing}
                cur.executemany(
                    """INSERT INTO missing (id, source, referrer, reason, at) VALUES (%s, %s, %s, %s, %s)
                       ON CONFLICT (id) DO UPDATE SET source=excluded.source, referrer=excluded.referrer,
                         reason=excluded.reason, at=excluded.at""",
                    [(i, b.source, ref, reason, b.now) for i, (ref, reason) in latest.items()],
                )
            if b.found:
                for chunk in _chunks(b.found):
                    cur.execute("DELETE FROM missing WHERE id = ANY(%s)", (chunk,))
            for stream, value in b.states.items():
                cur.execute(
                    """INSERT INTO state (source, stream, value, updated) VALUES (%s, %s, %s, %s)
                       ON CONFLICT (source, stream) DO UPDATE SET value=excluded.value, updated=excluded.updated""",
                    (b.source, _text(stream), _text(value), b.now),
                )
            for (namespace, key), value in b.kv.items():
                cur.execute(
                    """INSERT INTO kv (namespace, key, value, updated) VALUES (%s, %s, %s, %s)
                       ON CONFLICT (namespace, key) DO UPDATE SET value=excluded.value, updated=excluded.updated""",
                    (namespace, _text(key), _text(value), b.now),
                )

    @staticmethod
    def _apply_quarantine(cur: psycopg.Cursor[Any], b: WriteBatch) -> None:
        """The latest rejection per record; accepted records and, after a complete full run,
        rejections the source no longer produced are forgotten."""
        if b.quarantine:
            rows = []
            for t, r, reason, raw in b.quarantine:
                ref, text = _text(r), _text(raw) or ""
                rows.append((b.source, b.run_id, b.now, _text(t), ref, _text(reason), text, quarantine_key(ref, text)))
            cur.executemany(
                """INSERT INTO quarantine (source, run_id, at, type, ref, reason, raw, qkey)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (source, qkey) DO UPDATE SET run_id=excluded.run_id, at=excluded.at,
                     type=excluded.type, ref=excluded.ref, reason=excluded.reason, raw=excluded.raw""",
                rows,
            )
        if cur.execute("SELECT 1 FROM quarantine WHERE source=%s LIMIT 1", (b.source,)).fetchone() is None:
            return  # the usual case: nothing to forget
        for chunk in _chunks(b.accepted()):
            cur.execute("DELETE FROM quarantine WHERE source=%s AND qkey = ANY(%s)", (b.source, chunk))
        if b.prune_quarantine:
            cur.execute("DELETE FROM quarantine WHERE source=%s AND run_id<%s", (b.source, b.run_id))

    # --- outputs ---------------------------------------------------------------------
    def iter_rows(
        self, *, type_name: str | None = None, source: str | None = None, include_deleted: bool = False
    ) -> Iterator[StoredRow]:
        where, args = [], []
        if type_name:
            where.append("type=%s")
            args.append(type_name)
        if source:
            where.append("source=%s")
            args.append(source)
        if not include_deleted:
            where.append("NOT deleted")
        after: tuple[str, str] | None = None
        while True:  # keyset pages: no transaction is held open while the caller iterates
            clauses = list(where)
            page_args: list[Any] = list(args)
            if after is not None:
                clauses.append("(type, id) > (%s, %s)")
                page_args.extend(after)
            sql = "SELECT id, type, source, hash, data, deleted FROM records"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            rows = self._query(sql + f" ORDER BY type, id LIMIT {_PAGE}", page_args)
            for rid, t, src, h, data, deleted in rows:
                yield StoredRow(rid, t, src, h, json.loads(data), bool(deleted))
            if len(rows) < _PAGE:
                return
            after = (rows[-1][1], rows[-1][0])

    def get(self, record_id: str) -> StoredRow | None:
        rows = self._query(
            """SELECT id, type, source, hash, data, deleted FROM records
               WHERE id = COALESCE((SELECT id FROM aliases WHERE alias=%s), %s)""",
            (_text(record_id), _text(record_id)),
        )
        if not rows:
            return None
        row = rows[0]
        return StoredRow(row[0], row[1], row[2], row[3], json.loads(row[4]), bool(row[5]))

    def record_counts(self) -> dict[tuple[str, str], int]:
        rows = self._query("SELECT source, type, count(*) FROM records WHERE NOT deleted GROUP BY source, type")
        return {(str(src), str(t)): int(n) for src, t, n in rows}

    def recent_changes(self, *, source: str | None = None, limit: int = 20) -> list[ChangeEvent]:
        sql = "SELECT seq, at, source, run_id, kind, type, id, fields, changes FROM events"
        args: list[Any] = [limit]
        if source:
            sql += " WHERE source=%s"
            args = [source, limit]
        return [_event(row) for row in self._query(sql + " ORDER BY seq DESC LIMIT %s", args)]

    def changes(self, *, after: int = 0, limit: int | None = None, source: str | None = None) -> Iterator[ChangeEvent]:
        left = limit
        while left is None or left > 0:
            size = _PAGE if left is None else min(_PAGE, left)
            sql = "SELECT seq, at, source, run_id, kind, type, id, fields, changes FROM events WHERE seq > %s"
            args: list[Any] = [after]
            if source:
                sql += " AND source=%s"
                args.append(source)
            rows = self._query(sql + " ORDER BY seq LIMIT %s", [*args, size])
            yield from (_event(row) for row in rows)
            if len(rows) < size:
                return
            after = int(rows[-1][0])
            if left is not None:
                left -= len(rows)

    def quarantined(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT qid, source, run_id, at, type, ref, reason, raw FROM quarantine"
        rows = self._query(sql + (" WHERE source=%s" if source else "") + " ORDER BY qid", (source,) if source else ())
        keys = ("qid", "source", "run_id", "at", "type", "ref", "reason", "raw")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def missing_references(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, source, referrer, reason, at FROM missing"
        rows = self._query(sql + (" WHERE source=%s" if source else "") + " ORDER BY id", (source,) if source else ())
        return [dict(zip(("id", "source", "referrer", "reason", "at"), r, strict=True)) for r in rows]

    # --- key-value state -------------------------------------------------------------
    def kv_get(self, namespace: str, key: str) -> str | None:
        rows = self._query("SELECT value FROM kv WHERE namespace=%s AND key=%s", (namespace, _text(key)))
        return str(rows[0][0]) if rows else None

    def kv_set(self, namespace: str, key: str, value: str) -> None:
        with self._errors("write to"), self._db.transaction():
            self._db.execute(
                """INSERT INTO kv (namespace, key, value, updated)
                   VALUES (%s, %s, %s, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))
                   ON CONFLICT (namespace, key) DO UPDATE SET value=excluded.value, updated=excluded.updated""",
                (namespace, _text(key), _text(value)),
            )

    def kv_items(self, namespace: str) -> dict[str, str]:
        rows = self._query("SELECT key, value FROM kv WHERE namespace=%s ORDER BY key", (namespace,))
        return {k: v for k, v in rows}


def _reason(exc: psycopg.Error) -> str:
    """The first line of a driver error: enough to act on, nothing from the connection string."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _event(row: tuple[Any, ...]) -> ChangeEvent:
    """A row of ``events`` (seq, at, source, run_id, kind, type, id, fields, changes)."""
    seq, at, src, run_id, kind, t, rid, fields, changes = row
    return ChangeEvent(
        int(seq),
        at,
        src,
        None if run_id is None else int(run_id),
        kind,
        t,
        rid,
        json.loads(fields),
        json.loads(changes) if changes else {},
    )
