"""Promise: one store object may be shared by several threads (an app backend, the threaded
``serve``). Transactions of different threads never interleave, no write is lost, and a reader
never sees another thread's uncommitted rows. Real SQLite files and a real PostgreSQL schema."""

from __future__ import annotations

import threading

import pytest

from ris_connector.errors import StoreError
from ris_connector.store import SQLiteStore, Store, open_store
from tests.support.storethreads import hammer


def test_concurrent_writers_and_readers_see_whole_batches(store_url: str) -> None:
    store = open_store(store_url)
    try:
        out = hammer(store, writers=3, readers=2, batches=40, size=20)
    finally:
        store.close()
    assert out.errors == []
    assert out.lost == 0, f"{out.lost} of {out.intended} batches lost"
    assert out.poisoned_seen == 0, "a reader saw rows of a transaction that was rolled back"
    assert out.partial_reads == 0, "a reader saw half a batch"
    assert out.missing_after == 0
    assert out.reads > 0


def test_memory_store_is_one_database_for_every_thread() -> None:
    """``:memory:`` is a private temporary file: a second thread sees the same data."""
    store: Store = SQLiteStore(":memory:")
    run = store.start_run("src", "test", full=True, started="2026-01-01T00:00:00+00:00")
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.extend(r.run_id for r in store.runs("src")))
    worker.start()
    worker.join()
    store.close()
    assert seen == [run]


def test_connections_of_ended_threads_are_closed(tmp_path: object) -> None:
    store = SQLiteStore(f"{tmp_path}/ris.db")
    try:
        for _ in range(20):
            t = threading.Thread(target=store.sources)
            t.start()
            t.join()
        store.sources()  # a new thread's connection is opened after the ended ones were closed
        t = threading.Thread(target=store.sources)
        t.start()
        t.join()
        assert store._conns.count() <= 3
    finally:
        store.close()
    with pytest.raises(StoreError, match="closed"):
        store.sources()
