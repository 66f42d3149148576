"""Promise: a sync whose batches a writer process writes stores exactly what a sync that writes
them itself stores, and a writer that fails, dies or cannot start loses nothing silently.

``SQLiteStore.writing_behind`` hands each batch to a writer process (``store/sqlite_writer_child.py``,
a real child process, real pipes, the same SQLite file). The sync engine turns it on for every
run and the process starts after 5,000 records; these tests start it from the first batch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.adapters.oparl.adapter import LISTS_1_1
from ris_connector.clock import FixedClock
from ris_connector.config import SourceConfig, source_from_mapping
from ris_connector.errors import StoreError
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.store.base import WriteBatch
from ris_connector.sync import run_source
from tests.support.ristest import OParlFactory

ROOT = Path(__file__).resolve().parents[2]


class BehindStore(SQLiteStore):
    """A real SQLite store whose writer process takes every batch from the first one on (or,
    given ``after``, once that many records were written)."""

    def __init__(self, path: Path, after: int = -1) -> None:
        super().__init__(path)
        self.after = after
        self.sent = 0
        """Batches handed to the writer process."""

    @contextlib.contextmanager
    def writing_behind(self, after: int = 5000) -> Iterator[None]:
        with super().writing_behind(max(self.after, 0)):
            if self.after < 0:
                self.wait_for_writer()
            yield

    def wait_for_writer(self) -> None:
        """Start the writer process now and wait until it takes batches (or was given up)."""
        writer = self._start_writer(0)
        deadline = time.monotonic() + 30
        while writer is not None and not self._writer_ready(writer) and self._writer is not None:
            assert time.monotonic() < deadline, "the writer process did not start in 30 s"
            time.sleep(0.02)

    def apply(self, batch: WriteBatch) -> None:
        had = self._writer is not None and self._writer.ready()
        super().apply(batch)
        self.sent += had


class HereStore(SQLiteStore):
    """A real SQLite store that writes every batch itself (no writer process)."""

    @contextlib.contextmanager
    def writing_behind(self, after: int = 5000) -> Iterator[None]:
        yield


def _source(server: OParlServer, **extra: Any) -> SourceConfig:
    return source_from_mapping({"name": "s", "adapter": "oparl", "url": server.system_url, "batch_size": 50, **extra})


def _content(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a user can read from the file, without the times of day the runs took place."""
    db = sqlite3.connect(path)
    try:
        tables = {
            "records": "id, type, source, hash, data, deleted, seen_run FROM records ORDER BY id",
            "events": "seq, source, run_id, kind, type, id, fields, changes FROM events ORDER BY seq",
            "ref_lists": "src, pairs FROM ref_lists ORDER BY src",
            "aliases": "alias, id FROM aliases ORDER BY alias",
            "state": "source, stream, value FROM state ORDER BY stream",
            "quarantine": "source, run_id, type, ref, reason, raw FROM quarantine ORDER BY qid",
            "missing": "id, source, referrer, reason FROM missing ORDER BY id",
            "runs": "run_id, status, full FROM runs ORDER BY run_id",
        }
        return {name: db.execute(f"SELECT {query}").fetchall() for name, query in tables.items()}
    finally:
        db.close()


def _change(server: OParlServer) -> None:
    """Delete a paper, rename another, add nothing: the next run has news of both kinds."""
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    papers = server.dataset.ids("Paper")
    server.dataset.delete(papers[0], modified=stamp)
    server.dataset.update(papers[1], name="Geändert hinter dem Rücken", modified=stamp)


@pytest.mark.parametrize(
    "quirks",
    [[], ["unlisted_refs", "missing_mandatory", "control_chars", "embedded_no_id", "url_spaces", "tombstone_no_type"]],
)
def test_a_sync_written_behind_stores_what_a_sync_written_here_stores(
    oparl_server: OParlFactory, tmp_path: Path, quirks: list[str]
) -> None:
    """One server, two stores: one synced through the writer process, one without; a full run
    each, then an incremental one each after a change. Every table a user reads is the same."""
    server = oparl_server(scale=0.01, quirks=quirks)
    clock = FixedClock(datetime.now(timezone.utc) - timedelta(minutes=5))  # both stores, the same watermarks
    behind = BehindStore(tmp_path / "behind.db")  # (``with ... as`` would type it as an SQLiteStore)
    with behind, HereStore(tmp_path / "here.db") as here:
        b1, h1 = (run_source(_source(server), store, clock=clock) for store in (behind, here))
        _change(server)
        clock.advance(timedelta(minutes=10))
        b2, h2 = (run_source(_source(server), store, clock=clock, full=False) for store in (behind, here))
    assert behind.sent > 20  # the writer process wrote them
    assert (b1.status, b2.status) == (h1.status, h2.status) and b1.status in ("complete", "degraded")
    assert (b1.counts, b2.counts) == (h1.counts, h2.counts)
    assert b2.total("updated") >= 1 and b2.total("deleted") >= 1
    assert _content(tmp_path / "behind.db") == _content(tmp_path / "here.db")


def _batch(run_id: int, n: int, start: int = 0, kind: str | None = "created") -> WriteBatch:
    batch = WriteBatch("s", run_id, "2026-12-03T20:00:00+00:00")
    for i in range(start, start + n):
        rid = f"https://ris.example/oparl/paper/{i}"
        batch.upserts.append((rid, "Paper", f"h{i}", f'{{"id": "{rid}", "type": "Paper"}}', False))
        batch.events.append((kind, "Paper", rid, ["name"], {}))  # type: ignore[arg-type]
    batch.states["s|paper"] = f'{{"upto": {start + n}}}'
    return batch


def test_a_batch_that_fails_in_the_writer_stops_every_later_batch(tmp_path: Path) -> None:
    """The writer's error is raised on the next use of the store, with the store's path; the
    failed batch wrote nothing (one transaction), and no batch after it is written."""
    store = BehindStore(tmp_path / "s.db", after=10)
    run_id = store.start_run("s", "oparl", full=True, started="2026-12-03T20:00:00+00:00")
    with pytest.raises(StoreError) as failed, store.writing_behind(after=0):
        store.apply(_batch(run_id, 10))  # written here: the writer starts after 10 records
        store.wait_for_writer()
        store.apply(_batch(run_id, 10, start=10))
        store.apply(_batch(run_id, 10, start=20, kind=None))  # events.kind is NOT NULL
        store.apply(_batch(run_id, 10, start=30))
    assert str(tmp_path / "s.db") in str(failed.value) and "NOT NULL" in str(failed.value)
    with store:
        with pytest.raises(StoreError, match=r"NOT NULL.*; nothing more is written by this run"):
            store.apply(_batch(run_id, 10, start=40))  # what the engine's last save of a failed run does
        store.finish_run(run_id, status="failed", finished="2026-12-03T20:01:00+00:00", report={})
    content = _content(tmp_path / "s.db")
    assert [r[0].rsplit("/", 1)[1] for r in content["records"]] == sorted(str(i) for i in range(20))
    assert content["state"] == [("s", "s|paper", '{"upto": 20}')]  # not 30, not 50
    assert content["runs"] == [(run_id, "failed", 1)]


class DyingWriterStore(BehindStore):
    """Kills its writer process (SIGKILL) once it has sent ``kill_after`` batches."""

    def __init__(self, path: Path, kill_after: int) -> None:
        super().__init__(path)
        self.kill_after = kill_after

    def apply(self, batch: WriteBatch) -> None:
        super().apply(batch)
        if self.sent == self.kill_after and self._writer is not None:
            self._writer._proc.kill()


def _assert_no_state_ahead_of_data(server: OParlServer, path: Path) -> None:
    """Every list whose state (its watermark) is stored has all its objects stored: a list
    state committed without its data would make the next incremental run skip that data."""
    content = _content(path)
    stored = {r[0] for r in content["records"]}
    lists = [stream.rsplit("|", 1)[1] for _, stream, _ in content["state"]]
    for name in lists:
        missing = set(server.dataset.ids(LISTS_1_1[name])) - stored
        assert not missing, f"list {name} has a state but {len(missing)} of its objects are not stored"


def test_a_writer_that_dies_fails_the_run_and_the_next_run_repairs_everything(
    oparl_server: OParlFactory, tmp_path: Path
) -> None:
    server = oparl_server(scale=0.01)
    clock = FixedClock(datetime.now(timezone.utc))
    with DyingWriterStore(tmp_path / "dying.db", kill_after=5) as store:
        with pytest.raises(StoreError, match=r"dying\.db: the writer process ended \(exit status -9\)"):
            run_source(_source(server), store, clock=clock)
        assert store.runs("s")[0].status == "failed" and store._writer is None
        _assert_no_state_ahead_of_data(server, tmp_path / "dying.db")
        again = run_source(_source(server), store, clock=clock)
    assert again.status == "complete"
    with HereStore(tmp_path / "clean.db") as clean:
        run_source(_source(server), clean, clock=clock)
    dying, fresh = _content(tmp_path / "dying.db"), _content(tmp_path / "clean.db")
    assert [r[:4] for r in dying["records"]] == [r[:4] for r in fresh["records"]]
    assert dying["ref_lists"] == fresh["ref_lists"] and dying["state"] == fresh["state"]
    created = [e[5] for e in dying["events"] if e[3] == "created"]
    assert sorted(created) == sorted(e[5] for e in fresh["events"] if e[3] == "created")  # no news twice


def test_without_a_python_to_start_batches_are_written_by_the_sync(
    oparl_server: OParlFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An embedded interpreter (``sys.executable`` is a server binary) starts no child."""
    server = oparl_server(scale=0.005)
    monkeypatch.setattr(sys, "executable", "/usr/sbin/uwsgi")
    store = BehindStore(tmp_path / "s.db")
    with caplog.at_level(logging.WARNING), store:
        report = run_source(_source(server), store)
    assert report.status == "complete" and store.sent == 0
    assert "'/usr/sbin/uwsgi' is no Python; batches are written by the sync itself" in caplog.text


def test_a_writer_that_cannot_start_is_given_up_and_no_batch_is_lost(
    oparl_server: OParlFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A child that ends before it says it is ready is never sent a batch."""
    fake = tmp_path / "python3-broken"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    server = oparl_server(scale=0.005)
    monkeypatch.setattr(sys, "executable", str(fake))
    store = BehindStore(tmp_path / "s.db")
    with caplog.at_level(logging.WARNING), store:
        report = run_source(_source(server), store)
    assert report.status == "complete" and store.sent == 0
    assert "did not start (exit status 3); batches are written by the sync itself" in caplog.text
    with HereStore(tmp_path / "clean.db") as clean:
        run_source(_source(server), clean)
    assert len(_content(tmp_path / "s.db")["records"]) == len(_content(tmp_path / "clean.db")["records"])


_KILLED_PARENT = textwrap.dedent(
    """
    import sys, time
    from ris_connector.store import SQLiteStore
    from ris_connector.store.base import WriteBatch
    store = SQLiteStore(sys.argv[1])
    run = store.start_run("s", "oparl", full=True, started="2026-12-03T20:00:00+00:00")
    with store.writing_behind(after=0):
        n = 0
        while True:
            batch = WriteBatch("s", run, "2026-12-03T20:00:00+00:00")
            for i in range(n, n + 400):
                rid = f"https://ris.example/oparl/paper/{i}"
                batch.upserts.append((rid, "Paper", "h", '{"text": "' + "x" * 2000 + '"}', False))
            n += 400
            batch.states["s|paper"] = str(n)
            store.apply(batch)
            if store._writer is not None and store._writer.ready():
                print(store._writer._proc.pid, flush=True)
    """
)


def test_a_killed_sync_leaves_no_writer_behind_and_no_half_batch(tmp_path: Path) -> None:
    """SIGKILL of the sync (a cron job cut off): the child sees its input end, finishes the
    batch it writes, and ends; every batch in the file is whole, with its list state."""
    path = tmp_path / "s.db"
    parent = subprocess.Popen(
        [sys.executable, "-c", _KILLED_PARENT, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        time.sleep(1.0)  # some batches written behind
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    stat = Path(f"/proc/{child}/stat")
    assert not stat.exists() or stat.read_text().split()[2] == "Z", "the writer process outlived its sync"
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (count,) = db.execute("SELECT COUNT(*) FROM records").fetchone()
        (state,) = db.execute("SELECT value FROM state WHERE stream='s|paper'").fetchone()
    finally:
        db.close()
    assert count > 400 and count % 400 == 0 and int(state) == count


def test_the_writer_process_reads_only_what_its_parent_sent(tmp_path: Path) -> None:
    """A truncated message (the parent died mid-send) is not applied: the child ends cleanly."""
    store = SQLiteStore(tmp_path / "s.db")
    store.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ris_connector.store.sqlite_writer_child", str(tmp_path / "s.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, _ = proc.communicate(b"\xff\x00\x00\x00\x00\x00\x00\x00partial", timeout=30)
    assert proc.returncode == 0 and out == b"ris-writer-ready"  # ready, then no answer: nothing applied
    with SQLiteStore(tmp_path / "s.db") as after:
        assert after.get_hashes(["x"]) == {} and after.runs() == []
