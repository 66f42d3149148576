"""The store contract, run against SQLite and PostgreSQL alike (``any_store``/``store_url``)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ris_connector.errors import LockedError, StoreError
from ris_connector.store import Store, WriteBatch, open_store
from tests.support.storetest import pg_base_url, pg_schema


def _batch(store: Store, run_id: int, ids: list[str], **extra: object) -> WriteBatch:
    b = WriteBatch("src", run_id, "2026-01-01T00:00:00+00:00")
    for rid in ids:
        b.upserts.append((rid, "Paper", f"h-{rid}", json.dumps({"id": rid, "type": "Paper"}), False))
        b.events.append(("created", "Paper", rid, ["id"], {}))
        b.refs[rid] = [("body", "https://x/body/1")]
    for key, value in extra.items():
        setattr(b, key, value)
    return b


def test_batch_is_one_transaction(any_store: Store) -> None:
    store = any_store
    run = store.start_run("src", "test", full=True, started="2026-01-01T00:00:00+00:00")
    store.apply(_batch(store, run, ["https://x/p/1"], states={"s": '{"watermark": "w1"}'}))
    # A batch that fails at its last statement (quarantine reason NULL) leaves nothing behind.
    bad = _batch(store, run, ["https://x/p/2"], states={"s": '{"watermark": "w2"}'})
    bad.quarantine.append(("Paper", "ref", None, "{}"))  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.apply(bad)
    assert store.get("https://x/p/2") is None
    assert [e.id for e in store.changes()] == ["https://x/p/1"]
    assert store.stream_states("src") == {"s": {"watermark": "w1"}}
    assert store.dangling_references("src", run, full=False, limit=10) == [("https://x/body/1", "https://x/p/1")]


def test_runs_kv_and_feed(any_store: Store) -> None:
    store = any_store
    first = store.start_run("src", "test", full=True, started="2026-01-01T00:00:00+00:00")
    second = store.start_run("src", "test", full=False, started="2026-01-02T00:00:00+00:00")
    assert [r.status for r in store.runs("src")] == ["running", "aborted"]  # the first never finished
    store.finish_run(second, status="complete", finished="2026-01-02T00:01:00+00:00", report={"ok": "ä"})
    last = store.last_complete_run("src")
    assert last is not None and last.run_id == second and last.report == {"ok": "ä"} and not last.full
    assert store.last_complete_run("src", full_only=True) is None
    assert first < second and store.sources() == ["src"]

    ids = [f"https://x/p/{i:04d}" for i in range(2500)]
    store.apply(_batch(store, second, ids))
    seqs = [e.seq for e in store.changes()]
    assert len(seqs) == 2500 and seqs == sorted(seqs) and len(set(seqs)) == 2500
    assert [e.seq for e in store.changes(after=seqs[1000], limit=1200)] == seqs[1001:2201]
    assert [r.id for r in store.iter_rows(type_name="Paper")] == sorted(ids)

    store.kv_set("cursor", "app", "17")
    store.kv_set("cursor", "app", "18")
    store.kv_set("cursor", "b\x00x", "1")
    assert store.kv_get("cursor", "app") == "18"
    assert store.kv_get("cursor", "none") is None
    assert len(store.kv_items("cursor")) == 2  # a NUL in a key is kept (SQLite) or replaced (PostgreSQL)


def test_source_lock(store_url: str) -> None:
    a, b = open_store(store_url), open_store(store_url)
    try:
        with a.lock_source("bonn"):
            with pytest.raises(LockedError, match="'bonn'"), b.lock_source("bonn"):
                pass
            with b.lock_source("köln"):  # other sources are independent
                pass
        with b.lock_source("bonn"):  # released
            pass
        # --wait: b blocks until a releases.
        order: list[str] = []
        with a.lock_source("bonn"):
            t = threading.Thread(target=lambda: _hold(b, "bonn", order))
            t.start()
            t.join(0.3)
            order.append("a-released")
        t.join(10)
        assert order == ["a-released", "b-got-it"]
    finally:
        a.close()
        b.close()


def _hold(store: Store, source: str, order: list[str]) -> None:
    with store.lock_source(source, wait=True):
        order.append("b-got-it")


@pytest.mark.postgres
def test_postgres_lock_released_when_connection_dies() -> None:
    """A killed process's connection ends; PostgreSQL then frees its advisory lock."""
    import psycopg

    from tests.support.storetest import PG_SKIP_REASON

    base = pg_base_url()
    if base is None:
        pytest.skip(PG_SKIP_REASON)
    with pg_schema(base) as url:
        holder, other = open_store(url), open_store(url)
        try:
            with holder.lock_source("bonn"):
                with pytest.raises(LockedError):
                    other.lock_source("bonn").__enter__()
                pid = holder._db.info.backend_pid  # type: ignore[attr-defined]
                with psycopg.connect(base, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    # Termination is asynchronous: wait (bounded) until that backend is gone.
                    deadline = time.monotonic() + 10
                    while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                        assert time.monotonic() < deadline, "the terminated backend did not go away"
                        time.sleep(0.02)
                with other.lock_source("bonn"):
                    pass
        finally:
            other.close()
            holder.close()


@pytest.mark.postgres
def test_postgres_feed_never_skips_under_concurrent_writers() -> None:
    """Readers that follow ``seq`` see every event although writers commit concurrently.

    With a plain sequence a transaction could commit seq 11 before another commits seq 10,
    and a reader at cursor 11 would skip 10; the store serializes event writers to prevent it.
    """
    from tests.support.storetest import PG_SKIP_REASON

    base = pg_base_url()
    if base is None:
        pytest.skip(PG_SKIP_REASON)
    with pg_schema(base) as url:
        setup = open_store(url)
        run = setup.start_run("src", "test", full=True, started="2026-01-01T00:00:00+00:00")
        writers, per_writer, size = 4, 25, 8
        done = threading.Event()
        seen: list[int] = []

        def write(w: int) -> None:
            store = open_store(url)
            try:
                for n in range(per_writer):
                    store.apply(_batch(store, run, [f"https://x/w{w}/{n}/{i}" for i in range(size)]))
            finally:
                store.close()

        def read() -> None:
            store = open_store(url)
            cursor = 0
            try:
                while True:
                    finished = done.is_set()
                    for event in store.changes(after=cursor):
                        seen.append(event.seq)
                        cursor = event.seq
                    if finished:
                        return
            finally:
                store.close()

        reader = threading.Thread(target=read)
        reader.start()
        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        reader.join()
        everything = [e.seq for e in setup.changes()]
        setup.close()
        assert len(everything) == writers * per_writer * size
        assert seen == everything  # the cursor reader missed nothing and saw nothing twice


def test_output_reads_record_times_and_referrers(any_store: Store, oparl_server) -> None:  # type: ignore[no-untyped-def]
    """The OParl output's two reads work on every back-end: change times and who points at a record."""
    from ris_connector.outputs.oparl import create_app
    from tests.support.ristest import sync

    server = oparl_server(version="1.1", scale=0.005)
    assert sync(server, any_store).complete
    files = [row.id for row in any_store.iter_rows(type_name="File")][:5]
    times = any_store.record_times([*files, "urn:nothing"])
    assert set(times) == set(files)
    assert all(first <= last for first, last in times.values())
    pointing = any_store.referrers(files)
    assert set(pointing) == set(files)  # every sample file hangs off a meeting, paper or agenda item
    assert all(field for refs in pointing.values() for _, field in refs)
    status, system = create_app(any_store, base_url="http://oparl.test").get_json("/system")
    assert status == 200 and system["type"] == "https://schema.oparl.org/1.1/System"
