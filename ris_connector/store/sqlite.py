"""The default store: one SQLite file, WAL mode, one transaction per batch."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from ris_connector.errors import LockedError, StoreError
from ris_connector.jsontext import compact
from ris_connector.store.base import READ_WHOLE_SOURCE, ChangeEvent, RunInfo, StoredRow, WriteBatch, quarantine_key
from ris_connector.store.connections import PerThread
from ris_connector.store.sqlite_schema import DDL, QUARANTINE_KEY, SCHEMA_VERSION, VIEWS
from ris_connector.store.sqlite_writer import WriterProcess

log = logging.getLogger(__name__)

_CHUNK = 500
#: WAL pages (4 KiB) after which a commit checkpoints.
_CHECKPOINT_PAGES = 10_000


def _chunks(items: list[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _pairs_text(pairs: Iterable[tuple[str, str]]) -> str:
    """A record's references as stored in ``ref_lists``: JSON [field, dst, ...], each pair once."""
    return orjson.dumps([part for pair in dict.fromkeys(pairs) for part in pair]).decode()


def connect_file(file: str, display: str) -> sqlite3.Connection:
    """A connection to the store file ``file`` (named ``display`` in errors), set up for the store."""
    try:
        db = sqlite3.connect(file, timeout=60, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open SQLite store {display}: {exc}") from exc
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=OFF")
        # Bulk writes touch index pages all over the refs and records b-trees: checkpointing
        # every 40 MB of WAL (default 4 MB) copies a page changed by several batches back
        # once. A power cut may lose the batches since the last checkpoint, never half of
        # one (WAL; the next run fetches them again). A larger page cache saved less in a
        # full sync than it cost the reference scan of an incremental one, so it is default.
        db.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
        db.execute("SELECT json_array_length('[]')")  # JSON functions: built in since SQLite 3.38
    except sqlite3.Error as exc:
        db.close()
        raise StoreError(f"cannot open SQLite store {display}: {exc}") from exc
    return db


class SQLiteStore:
    """Store in a SQLite file (``:memory:`` works for throwaway use)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        # ":memory:" would be a separate empty database per connection; a private temporary
        # file (removed by close) gives every thread the same database.
        self._tempdir = tempfile.mkdtemp(prefix="ris-memory-") if self.path == ":memory:" else None
        self._file = str(Path(self._tempdir) / "store.db") if self._tempdir else self.path
        #: Write transactions of this store object, one at a time (SQLite's own lock orders
        #: processes; this one spares threads of one process its busy-wait).
        self._write_lock = threading.RLock()
        self._behind_after: int | None = None
        """Within :meth:`writing_behind`: records to write here before the writer process starts."""
        self._writer: WriterProcess | None = None
        self._lost: str | None = None
        """Why a batch handed to the writer process was not written (then no later one is)."""
        self._writer_lock = threading.Lock()
        self._conns: PerThread[sqlite3.Connection] = PerThread(
            self._connect, closed_error=lambda: StoreError(f"the SQLite store {self.path} is closed")
        )
        try:
            self._prepare_schema()
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from exc
        except BaseException:
            self.close()
            raise

    @property
    def _db(self) -> sqlite3.Connection:
        """The calling thread's connection: a transaction never spans threads, and a reader
        never sees another thread's uncommitted rows (WAL: each connection reads committed data).
        A batch the writer process still writes (:meth:`writing_behind`) is waited for first."""
        if self._writer is not None:
            self._settle()
        return self._conns.get()

    def _connect(self) -> sqlite3.Connection:
        return connect_file(self._file, self.path)

    def _version(self) -> int | None:
        """The file's schema version; None for a file without one (new, or its creation cut off)."""
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
            return None
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return None if row is None else int(row[0])

    def _refuse_newer(self, version: int | None) -> None:
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer ris-connector (schema {version})")

    def _prepare_schema(self) -> None:
        """Create, or bring up to ``SCHEMA_VERSION``, all tables in one transaction.

        All or nothing, so a process killed while creating a file leaves one that the next open
        completes, never a half schema. A file already at this version is only read; a file of a
        newer version is refused before anything touches it.
        """
        version = self._version()
        self._refuse_newer(version)
        if version == SCHEMA_VERSION:
            return
        try:
            self._db.executescript("BEGIN IMMEDIATE;\n" + DDL)  # leaves the transaction open
            version = self._version()  # again, under the write lock: another process may have been first
            self._refuse_newer(version)
            if version is None or version < 2:
                self._refs_to_ref_lists(self._db)
            if version is None or version < 3:
                self._keyed_quarantine(self._db)
            self._db.execute(VIEWS)
            self._db.execute(QUARANTINE_KEY)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        if version is not None and version < SCHEMA_VERSION:
            log.info("store %s: schema %d brought up to %d", self.path, version, SCHEMA_VERSION)

    @staticmethod
    def _refs_to_ref_lists(db: sqlite3.Connection) -> None:
        """Schema 1 -> 2: the table of one reference a row becomes one row per referring record."""
        kind = db.execute("SELECT type FROM sqlite_master WHERE name='refs'").fetchone()
        if kind is None or kind[0] != "table":
            return
        rows = db.execute("SELECT src, field, dst FROM refs ORDER BY src, rowid")  # streamed, not held
        db.executemany(
            "INSERT OR REPLACE INTO ref_lists (src, pairs) VALUES (?, ?)",
            (
                (src, _pairs_text((str(field), str(dst)) for _, field, dst in group))
                for src, group in itertools.groupby(rows, key=lambda r: str(r[0]))
            ),
        )
        db.execute("DROP TABLE refs")

    @staticmethod
    def _keyed_quarantine(db: sqlite3.Connection) -> None:
        """Schema 2 -> 3: quarantine rows get their key; of several per key the latest stays."""
        if "qkey" not in {row[1] for row in db.execute("PRAGMA table_info(quarantine)")}:
            db.execute("ALTER TABLE quarantine ADD COLUMN qkey TEXT")
        after = 0
        while rows := db.execute(
            "SELECT qid, ref, raw FROM quarantine WHERE qid > ? AND qkey IS NULL ORDER BY qid LIMIT 1000", (after,)
        ).fetchall():
            db.executemany("UPDATE quarantine SET qkey=? WHERE qid=?", [(quarantine_key(r, w), q) for q, r, w in rows])
            after = rows[-1][0]
        db.execute("DELETE FROM quarantine WHERE qid NOT IN (SELECT MAX(qid) FROM quarantine GROUP BY source, qkey)")

    def close(self) -> None:
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self._conns.close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the calling thread's connection, one at a time per store."""
        with self._write_lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")

    # --- locking ---------------------------------------------------------------------
    @contextlib.contextmanager
    def lock_source(self, source: str, *, wait: bool = False) -> Iterator[None]:
        if self.path == ":memory:":
            yield
            return
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source)
        lock_path = Path(f"{self.path}.{safe}.lock")
        with open(lock_path, "a+") as handle:
            flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
            try:
                fcntl.flock(handle.fileno(), flags)
            except BlockingIOError:
                raise LockedError(
                    f"source {source!r} is being synced by another process into {self.path}; try again later"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # --- runs ------------------------------------------------------------------------
    def start_run(self, source: str, adapter: str, *, full: bool, started: str) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (source, adapter, started, status, full) VALUES (?, ?, ?, 'running', ?)",
                (source, adapter, started, int(full)),
            )
            # A run that never finished (killed) is marked as such when the next one starts.
            db.execute(
                "UPDATE runs SET status='aborted' WHERE source=? AND status='running' AND run_id<>?",
                (source, cur.lastrowid),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def finish_run(self, run_id: int, *, status: str, finished: str, report: Mapping[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET status=?, finished=?, report=? WHERE run_id=?",
                (status, finished, json.dumps(report, ensure_ascii=False), run_id),
            )

    @staticmethod
    def _run(row: tuple[Any, ...]) -> RunInfo:
        return RunInfo(row[0], row[1], row[2], row[3], row[4], bool(row[5]), json.loads(row[6]) if row[6] else None)

    _RUN_COLS = "run_id, source, started, finished, status, full, report"

    def runs(self, source: str | None = None, limit: int = 20) -> list[RunInfo]:
        if source is None:
            rows = self._db.execute(f"SELECT {self._RUN_COLS} FROM runs ORDER BY run_id DESC LIMIT ?", (limit,))
        else:
            rows = self._db.execute(
                f"SELECT {self._RUN_COLS} FROM runs WHERE source=? ORDER BY run_id DESC LIMIT ?",
                (source, limit),
            )
        return [self._run(r) for r in rows]

    def last_complete_run(self, source: str, *, full_only: bool = False) -> RunInfo | None:
        sql = f"SELECT {self._RUN_COLS} FROM runs WHERE source=? AND status IN {READ_WHOLE_SOURCE!r}"
        if full_only:
            sql += " AND full=1"
        row = self._db.execute(sql + " ORDER BY run_id DESC LIMIT 1", (source,)).fetchone()
        return self._run(row) if row else None

    def sources(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT source FROM runs ORDER BY source")]

    # --- engine reads ----------------------------------------------------------------
    def get_hashes(self, ids: Iterable[str]) -> dict[str, tuple[str, bool, str, int]]:
        out: dict[str, tuple[str, bool, str, int]] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for rid, h, deleted, src, seen in self._db.execute(
                f"SELECT id, hash, deleted, source, seen_run FROM records WHERE id IN ({marks})", chunk
            ):
                out[rid] = (h, bool(deleted), src, seen)
        return out

    def get_data(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for rid, data in self._db.execute(f"SELECT id, data FROM records WHERE id IN ({marks})", chunk):
                out[rid] = json.loads(data)
        return out

    def stream_states(self, source: str) -> dict[str, dict[str, Any]]:
        return {
            stream: json.loads(value)
            for stream, value in self._db.execute("SELECT stream, value FROM state WHERE source=?", (source,))
        }

    def resolve_aliases(self, ids: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            out.update(self._db.execute(f"SELECT alias, id FROM aliases WHERE alias IN ({marks})", chunk))
        return out

    def dangling_references(self, source: str, run_id: int, *, full: bool, limit: int) -> list[tuple[str, str]]:
        seen_clause = "OR (t.id IS NOT NULL AND t.seen_run <> :run AND t.deleted = 0)" if full else ""
        missing_clause = "" if full else "AND m.id IS NULL"
        sql = f"""
            SELECT d.value, MIN(r.src) FROM ref_lists r
            JOIN records s ON s.id = r.src AND s.source = :source AND s.deleted = 0
            JOIN json_each(r.pairs) d
            LEFT JOIN aliases a ON a.alias = d.value
            LEFT JOIN records t ON t.id = COALESCE(a.id, d.value)
            LEFT JOIN missing m ON m.id = d.value
            WHERE d.key % 2 = 1 AND (t.id IS NULL {seen_clause}) {missing_clause}
            GROUP BY d.value ORDER BY d.value LIMIT :limit
        """
        return [(d, s) for d, s in self._db.execute(sql, {"source": source, "run": run_id, "limit": limit})]

    def unseen(self, source: str, run_id: int) -> list[tuple[str, str]]:
        return list(
            self._db.execute(
                "SELECT id, type FROM records WHERE source=? AND deleted=0 AND seen_run<>? ORDER BY id",
                (source, run_id),
            )
        )

    def live_counts(self, source: str) -> dict[str, int]:
        sql = "SELECT type, COUNT(*) FROM records WHERE source=? AND deleted=0 GROUP BY type"
        return {t: int(n) for t, n in self._db.execute(sql, (source,))}

    # --- writes ----------------------------------------------------------------------
    def apply(self, batch: WriteBatch) -> None:
        if batch.is_empty():
            return
        writer = self._writer
        if writer is None and self._behind_after is not None:
            writer = self._start_writer(len(batch.upserts))
        if writer is not None:
            with self._writer_lock:  # one batch in flight: a failed one raises here, no later one is sent
                writer = self._writer
                if writer is not None and self._writer_ready(writer):  # until then, written here
                    self._unlost()
                    with self._losing():
                        writer.wait()
                        writer.send(batch)
                    return
        self._unlost()
        try:
            with self._tx() as db:
                self._apply(db, batch)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def writing_behind(self, after: int = 5000) -> Iterator[None]:
        """Within this block, :meth:`apply` hands each batch to a writer process and returns.

        The process (:mod:`.sqlite_writer`) writes the batch with the same code while the caller
        reads the next one, so a long sync uses a second core. It starts once ``after`` new or
        changed records were written here (short runs and runs that change little never pay its
        start). Every other use of the store, from any thread, first waits until the batch in
        flight is committed; a batch that failed raises its :class:`StoreError` there or when
        the block ends, and no later batch is written in the block, nor after it until the next
        block begins. Where no process can be started, batches are written here, with a warning.
        """
        if self._behind_after is not None:  # already on
            yield
            return
        self._behind_after = after
        self._lost = None
        try:
            yield
        finally:
            self._behind_after = None
            with self._writer_lock:
                writer, self._writer = self._writer, None
                if writer is not None:
                    try:
                        with self._losing():
                            writer.wait()
                    finally:
                        writer.close()

    def _start_writer(self, records: int) -> WriterProcess | None:
        """The writer process, started once ``writing_behind``'s ``after`` records are written."""
        assert self._behind_after is not None
        if self._behind_after > 0:
            self._behind_after = max(0, self._behind_after - records)
            return None
        try:
            writer = WriterProcess(self._file, self.path)
        except StoreError as exc:
            log.warning("%s; batches are written by the sync itself", exc)
            self._behind_after = 2**62  # do not try again in this block
            return None
        with self._writer_lock:
            self._writer = writer
        return writer

    def _writer_ready(self, writer: WriterProcess) -> bool:
        """Whether ``writer`` takes batches yet; one that could not start is given up for the block."""
        try:
            return writer.ready()
        except StoreError as exc:
            log.warning("%s; batches are written by the sync itself", exc)
            self._writer = None
            self._behind_after = 2**62
            writer.close()
            return False

    def _settle(self) -> None:
        """Wait until the batch in flight is committed; raise its error if it failed."""
        writer = self._writer
        if writer is not None:
            with self._writer_lock, self._losing():
                writer.wait()

    @contextlib.contextmanager
    def _losing(self) -> Iterator[None]:
        """A batch the writer process did not write is lost: note it (see :meth:`_unlost`)."""
        try:
            yield
        except StoreError as exc:
            self._lost = str(exc)
            raise

    def _unlost(self) -> None:
        """Refuse a batch after a lost one until the next ``writing_behind`` block: written
        now, it could commit a list's state without the data lost before it."""
        if self._lost is not None:
            raise StoreError(f"{self._lost}; nothing more is written by this run")

    @staticmethod
    def _apply(db: sqlite3.Connection, b: WriteBatch) -> None:
        if b.upserts:
            db.executemany(
                """INSERT INTO records (id, type, source, hash, data, deleted, first_seen, last_changed, seen_run)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET type=excluded.type, source=excluded.source,
                     hash=excluded.hash, data=excluded.data, deleted=excluded.deleted,
                     last_changed=excluded.last_changed, seen_run=excluded.seen_run""",
                [(i, t, b.source, h, d, int(dl), b.now, b.now, b.run_id) for i, t, h, d, dl in b.upserts],
            )
        if b.seen:
            db.executemany("UPDATE records SET seen_run=? WHERE id=?", [(b.run_id, i) for i in b.seen])
        if b.rehash:
            db.executemany("UPDATE records SET hash=?, seen_run=? WHERE id=?", [(h, b.run_id, i) for i, h in b.rehash])
        if b.seen_rejected:
            db.executemany(
                "UPDATE records SET seen_run=? WHERE id=? AND source=?",
                [(b.run_id, i, b.source) for i in b.seen_rejected],
            )
        if b.refs:
            db.executemany("DELETE FROM ref_lists WHERE src=?", [(s,) for s, pairs in b.refs.items() if not pairs])
            db.executemany(
                "INSERT OR REPLACE INTO ref_lists (src, pairs) VALUES (?, ?)",
                [(s, _pairs_text(pairs)) for s, pairs in b.refs.items() if pairs],
            )
        if b.aliases:
            db.executemany("INSERT OR REPLACE INTO aliases (alias, id) VALUES (?, ?)", b.aliases)
        if b.events:
            db.executemany(
                "INSERT INTO events (at, source, run_id, kind, type, id, fields, changes)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        b.now,
                        b.source,
                        b.run_id,
                        k,
                        t,
                        i,
                        compact(f),
                        compact(c) if c else None,
                    )
                    for k, t, i, f, c in b.events
                ],
            )
        SQLiteStore._apply_quarantine(db, b)
        if b.missing:
            db.executemany(
                "INSERT OR REPLACE INTO missing (id, source, referrer, reason, at) VALUES (?, ?, ?, ?, ?)",
                [(i, b.source, ref, reason, b.now) for i, ref, reason in b.missing],
            )
        if b.found and db.execute("SELECT 1 FROM missing LIMIT 1").fetchone():  # usually empty
            db.executemany("DELETE FROM missing WHERE id=?", [(i,) for i in b.found])
        for stream, value in b.states.items():
            db.execute(
                "INSERT OR REPLACE INTO state (source, stream, value, updated) VALUES (?, ?, ?, ?)",
                (b.source, stream, value, b.now),
            )
        for (namespace, key), value in b.kv.items():
            db.execute(
                "INSERT OR REPLACE INTO kv (namespace, key, value, updated) VALUES (?, ?, ?, ?)",
                (namespace, key, value, b.now),
            )

    @staticmethod
    def _apply_quarantine(db: sqlite3.Connection, b: WriteBatch) -> None:
        """The latest rejection per record; accepted records and, after a complete full run,
        rejections the source no longer produced are forgotten."""
        if b.quarantine:
            db.executemany(
                """INSERT INTO quarantine (source, run_id, at, type, ref, reason, raw, qkey)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (source, qkey) DO UPDATE SET run_id=excluded.run_id, at=excluded.at,
                     type=excluded.type, ref=excluded.ref, reason=excluded.reason, raw=excluded.raw""",
                [
                    (b.source, b.run_id, b.now, t, r, reason, raw, quarantine_key(r, raw))
                    for t, r, reason, raw in b.quarantine
                ],
            )
        held = db.execute("SELECT 1 FROM quarantine WHERE source=? LIMIT 1", (b.source,)).fetchone()
        if held is None:  # the usual case: nothing to forget
            return
        accepted = b.accepted()
        if accepted:
            db.executemany("DELETE FROM quarantine WHERE source=? AND qkey=?", [(b.source, i) for i in accepted])
        if b.prune_quarantine:
            db.execute("DELETE FROM quarantine WHERE source=? AND run_id<?", (b.source, b.run_id))

    # --- outputs ---------------------------------------------------------------------
    def iter_rows(
        self, *, type_name: str | None = None, source: str | None = None, include_deleted: bool = False
    ) -> Iterator[StoredRow]:
        where, args = [], []
        if type_name:
            where.append("type=?")
            args.append(type_name)
        if source:
            where.append("source=?")
            args.append(source)
        if not include_deleted:
            where.append("deleted=0")
        sql = "SELECT id, type, source, hash, data, deleted FROM records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        cur = self._db.execute(sql + " ORDER BY type, id", args)
        while rows := cur.fetchmany(1000):
            for rid, t, src, h, data, deleted in rows:
                yield StoredRow(rid, t, src, h, json.loads(data), bool(deleted))

    def get(self, record_id: str) -> StoredRow | None:
        row = self._db.execute(
            """SELECT id, type, source, hash, data, deleted FROM records
               WHERE id = COALESCE((SELECT id FROM aliases WHERE alias=?), ?)""",
            (record_id, record_id),
        ).fetchone()
        if row is None:
            return None
        return StoredRow(row[0], row[1], row[2], row[3], json.loads(row[4]), bool(row[5]))

    def record_counts(self) -> dict[tuple[str, str], int]:
        rows = self._db.execute("SELECT source, type, count(*) FROM records WHERE deleted=0 GROUP BY source, type")
        return {(str(src), str(t)): int(n) for src, t, n in rows}

    def recent_changes(self, *, source: str | None = None, limit: int = 20) -> list[ChangeEvent]:
        sql = "SELECT seq, at, source, run_id, kind, type, id, fields, changes FROM events"
        args: tuple[Any, ...] = (limit,)
        if source:
            sql += " WHERE source=?"
            args = (source, limit)
        rows = self._db.execute(sql + " ORDER BY seq DESC LIMIT ?", args).fetchall()
        return [
            ChangeEvent(seq, at, src, run_id, kind, t, rid, json.loads(fields), json.loads(changes) if changes else {})
            for seq, at, src, run_id, kind, t, rid, fields, changes in rows
        ]

    def changes(self, *, after: int = 0, limit: int | None = None, source: str | None = None) -> Iterator[ChangeEvent]:
        sql = "SELECT seq, at, source, run_id, kind, type, id, fields, changes FROM events WHERE seq > ?"
        args: list[Any] = [after]
        if source:
            sql += " AND source=?"
            args.append(source)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        cur = self._db.execute(sql, args)
        while rows := cur.fetchmany(1000):
            for seq, at, src, run_id, kind, t, rid, fields, changes in rows:
                yield ChangeEvent(
                    seq, at, src, run_id, kind, t, rid, json.loads(fields), json.loads(changes) if changes else {}
                )

    def record_times(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for rid, first, last in self._db.execute(
                f"SELECT id, first_seen, last_changed FROM records WHERE id IN ({marks})", chunk
            ):
                out[rid] = (first, last)
        return out

    def referrers(self, ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        wanted = list(ids)
        if not wanted:
            return out
        # One pass over all references (the output asks for whole types at a time).
        for src, fld, dst in self._db.execute(
            """WITH wanted(id) AS (SELECT value FROM json_each(?))
               SELECT src, field, dst FROM refs WHERE dst IN (SELECT id FROM wanted) ORDER BY dst, src, field""",
            (orjson.dumps(wanted).decode(),),
        ):
            out.setdefault(dst, []).append((src, fld))
        return out

    def quarantined(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT qid, source, run_id, at, type, ref, reason, raw FROM quarantine"
        rows = self._db.execute(
            sql + (" WHERE source=?" if source else "") + " ORDER BY qid", (source,) if source else ()
        )
        keys = ("qid", "source", "run_id", "at", "type", "ref", "reason", "raw")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def missing_references(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, source, referrer, reason, at FROM missing"
        rows = self._db.execute(
            sql + (" WHERE source=?" if source else "") + " ORDER BY id", (source,) if source else ()
        )
        return [dict(zip(("id", "source", "referrer", "reason", "at"), r, strict=True)) for r in rows]

    # --- key-value state -------------------------------------------------------------
    def kv_get(self, namespace: str, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE namespace=? AND key=?", (namespace, key)).fetchone()
        return str(row[0]) if row else None

    def kv_set(self, namespace: str, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO kv (namespace, key, value, updated) VALUES (?, ?, ?, datetime('now'))",
                (namespace, key, value),
            )

    def kv_items(self, namespace: str) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM kv WHERE namespace=? ORDER BY key", (namespace,)))
