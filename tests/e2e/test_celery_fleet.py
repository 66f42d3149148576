"""The Celery fleet with the real parts: Redis broker, PostgreSQL store, ``celery worker`` processes.

Twenty-one local OParl servers (20 good, 1 that refuses connections) are synced by two worker
subprocesses over a Redis broker into one PostgreSQL schema. Schedule ticks are driven by sending
each source's task exactly as beat does (``send_task("ris_connector.run_source", [name])``), so the
test decides when a tick happens instead of waiting for wall-clock intervals; the beat schedule
itself is checked in tests/celery/test_factory.py.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ris_connector import open_store, source_from_mapping
from ris_connector.cli.status_cmd import source_status
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore, Store
from ris_connector.store.ledger import TaskLedger
from ris_connector.sync import run_source
from tests.support.fleet import REDIS_ENV, Fleet, GatedServer, done_tasks, toml_source, wait_for, write_config
from tests.support.storetest import PG_ENV, pg_schema

SCALE = 0.002
N_SOURCES = 20
SKIP_REASON = (
    f"{REDIS_ENV} and {PG_ENV} must be set for the fleet tests; .ci/run sets both "
    "(.ci/setup.d/10-postgres.sh, 20-redis.sh), so CI skips nothing"
)


@pytest.fixture
def broker_url() -> str:
    """An empty Redis database of the test Redis server."""
    base = os.environ.get(REDIS_ENV)
    if not base or not os.environ.get(PG_ENV):
        pytest.skip(SKIP_REASON)
    import redis

    # The database number of the URL when it names one (parallel runs each use their own),
    # else database 1.
    parts = urlsplit(base)
    url = base if parts.path.strip("/").isdigit() else urlunsplit(parts._replace(path="/1"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(SKIP_REASON)
    with pg_schema(base) as url:
        yield url


@pytest.fixture(scope="module")
def reference_counts(tmp_path_factory: pytest.TempPathFactory) -> Counter[str]:
    """Records per type of one uninterrupted single-process sync of a sample source."""
    path = tmp_path_factory.mktemp("ref") / "ref.db"
    with OParlServer(scale=SCALE) as srv:
        store = SQLiteStore(path)
        run_source(source_from_mapping({"name": "ref", "adapter": "oparl", "url": srv.system_url}), store)
        counts = Counter(row.type for row in store.iter_rows(source="ref"))
        store.close()
    return counts


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _type_counts(store: Store, source: str) -> Counter[str]:
    return Counter(row.type for row in store.iter_rows(source=source))


def _assert_no_overlap(store: Store, source: str) -> None:
    runs = sorted(store.runs(source, limit=1000), key=lambda r: (r.started, r.run_id))  # ids break ties within a second
    for before, after in itertools.pairwise(runs):
        if before.status == "aborted":  # killed: it never finished; its lock died with it
            continue
        assert before.finished is not None, f"{source}: run {before.run_id} never finished"
        assert before.finished <= after.started, f"{source}: runs {before.run_id} and {after.run_id} overlap"


def _complete_runs(store: Store, source: str) -> int:
    return sum(1 for r in store.runs(source, limit=1000) if r.status == "complete")


def test_fleet_syncs_every_source_once_per_tick(
    tmp_path: Path, broker_url: str, pg_url: str, reference_counts: Counter[str]
) -> None:
    """20 sources, 2 workers, 2 ticks; duplicate deliveries and a failing source on the way."""
    servers = [OParlServer(scale=SCALE).start() for _ in range(N_SOURCES)]
    names = [f"town{i:02d}" for i in range(N_SOURCES)]
    tables = [toml_source(n, s.system_url, interval="1h") for n, s in zip(names, servers, strict=True)]
    broken_url = f"http://127.0.0.1:{_closed_port()}/oparl/v1.1/system"
    tables.append(toml_source("broken", broken_url, interval="1h") + "[source.http]\nmax_attempts = 1\n")
    config = write_config(tmp_path / "fleet.toml", pg_url, tables)
    fleet = Fleet(config, pg_url, broker_url, tmp_path)
    store = open_store(pg_url)
    try:
        for i in (1, 2):
            fleet.start_worker(f"w{i}")
        fleet.wait_ready()

        # Tick 1, and for five sources the same message delivered twice (same task id), as a
        # broker may do after a visibility timeout: it must not sync the source twice.
        tick1 = {n: fleet.send(n) for n in [*names, "broken"]}
        for n in names[:5]:
            fleet.send(n, task_id=tick1[n])
        wait_for(
            "tick 1 done",
            lambda: all(_complete_runs(store, n) >= 1 for n in names) and len(done_tasks(store, "broken")) == 1,
            90,
            fleet,
        )
        wait_for(
            "duplicates recognised",
            lambda: all(TaskLedger(store).counts(n).duplicates == 1 for n in names[:5]),
            30,
            fleet,
        )

        # Changes upstream between the ticks, on five sources.
        changed: dict[str, tuple[str, str]] = {}
        now = datetime.now(timezone.utc).replace(microsecond=0)
        for n, srv in list(zip(names, servers, strict=True))[5:10]:
            paper, gone = srv.dataset.ids("Paper")[:2]
            srv.dataset.update(paper, name="Geänderte Vorlage", modified=now)
            srv.dataset.delete(gone, modified=now)
            changed[n] = (paper, gone)

        tick2 = {n: fleet.send(n) for n in names}
        wait_for("tick 2 done", lambda: all(_complete_runs(store, n) >= 2 for n in names), 90, fleet)

        for n in names:
            assert _complete_runs(store, n) == 2, f"{n}: not exactly one run per tick"
            entries = [e for e in done_tasks(store, n) if e["status"] == "complete"]
            assert sorted(e["task"] for e in entries) == sorted([tick1[n], tick2[n]])
            _assert_no_overlap(store, n)
            expected = reference_counts - Counter({"Paper": 1}) if n in changed else reference_counts
            assert _type_counts(store, n) == expected, n
        workers = {e["worker"] for n in names for e in done_tasks(store, n)}
        assert workers == {"w1@test", "w2@test"}
        live = sum(sum(_type_counts(store, n).values()) for n in names)
        assert live == N_SOURCES * sum(reference_counts.values()) - len(changed)
        for n, (paper, gone) in changed.items():
            row = store.get(paper)
            assert row is not None and row.data["name"] == "Geänderte Vorlage"
            gone_row = store.get(gone)
            assert gone_row is not None and gone_row.deleted
            updates = [e for e in store.changes(source=n) if e.id == row.id and e.kind == "updated"]
            assert len(updates) == 1, f"{n}: {len(updates)} update events for one change"

        # The failing source: tried 1 + RIS_MAX_RETRIES times, then given up - not forever.
        broken_runs = store.runs("broken", limit=100)
        assert [r.status for r in broken_runs] == ["incomplete"] * 3
        assert done_tasks(store, "broken")[-1]["status"] == "gave-up"
        assert TaskLedger(store).counts("broken").gave_up == 1

        # ris-connector status shows the whole fleet, the failing source and exits 3 (stale).
        out = subprocess.run(
            [sys.executable, "-m", "ris_connector", "status", "--config", str(config), "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 3, out.stderr
        report = json.loads(out.stdout)
        assert report["stale"] == ["broken"]
        rows = {r["source"]: r for r in report["sources"]}
        assert set(rows) == {*names, "broken"}
        assert rows["broken"]["failures_since"] == 3 and rows["broken"]["gave_up"] == 1
        assert rows["broken"]["last_complete"] is None
        assert "127.0.0.1" in rows["broken"]["last_errors"][0]
        for n in names:
            assert rows[n]["failures_since"] == 0 and not rows[n]["stale"], rows[n]
            assert rows[n]["max_age_s"] == 3600 + 7200 and rows[n]["last_complete"] is not None
        assert all(rows[n]["duplicates"] == 1 for n in names[:5])
    finally:
        fleet.stop()
        store.close()
        for srv in servers:
            srv.stop()


@pytest.mark.parametrize("kill", ["pool-process", "whole-worker"])
def test_killed_worker_leaves_nothing_complete_and_task_completes_elsewhere(
    kill: str, tmp_path: Path, broker_url: str, pg_url: str, reference_counts: Counter[str]
) -> None:
    """SIGKILL mid-sync (after some batches are committed): the run is not complete, and the same
    task is delivered again - by the worker's parent (reject on worker lost) when only the pool
    process dies, by Redis to the other worker (late ack, visibility timeout) when the whole
    worker dies - and completes with the same data as an uninterrupted sync."""
    srv = GatedServer(scale=SCALE, latency=0.05).start()
    config = write_config(tmp_path / "fleet.toml", pg_url, [toml_source("slow", srv.system_url, batch_size=20)])
    fleet = Fleet(config, pg_url, broker_url, tmp_path)
    store = open_store(pg_url)
    ledger = TaskLedger(store)
    try:
        for i in (1, 2):
            fleet.start_worker(f"w{i}")
        fleet.wait_ready()
        task_id = fleet.send("slow")
        wait_for("batches committed", lambda: any(True for _ in store.iter_rows(source="slow")), 30, fleet)
        srv.gate.clear()  # every further request of this sync (and of a redelivery) waits here
        active = ledger.counts("slow").active
        assert active is not None and active["task"] == task_id
        victim = fleet.workers[active["worker"]]
        if kill == "pool-process":
            os.kill(active["pid"], signal.SIGKILL)
        else:
            victim.kill()

        # Partial data is committed, but nothing claims the source is complete.
        killed = store.runs("slow")[-1]
        assert killed.status == "running"
        assert store.last_complete_run("slow") is None
        status = source_status(store, "slow", now=datetime.now(timezone.utc), max_age=3600)
        assert status.last_complete is None and status.stale and status.running
        partial = sum(1 for _ in store.iter_rows(source="slow"))
        assert 0 < partial < sum(reference_counts.values())

        srv.gate.set()
        wait_for("the task completed after the kill", lambda: _complete_runs(store, "slow") == 1, 60, fleet)
        finished = [e for e in ledger.done_entries("slow") if e["status"] == "complete"]
        assert [e["task"] for e in finished] == [task_id]  # the same message, delivered again
        if kill == "whole-worker":
            assert finished[0]["worker"] != victim.name
        runs = {r.run_id: r for r in store.runs("slow")}
        assert runs[killed.run_id].status == "aborted"
        assert _complete_runs(store, "slow") == 1
        _assert_no_overlap(store, "slow")
        assert _type_counts(store, "slow") == reference_counts
        created = Counter(e.id for e in store.changes(source="slow") if e.kind == "created")
        assert set(created.values()) == {1}, "a record was created twice"
        assert sum(created.values()) == sum(reference_counts.values())
    finally:
        srv.gate.set()
        fleet.stop()
        store.close()
        srv.stop()


def test_beat_sends_each_source_on_its_interval(tmp_path: Path, broker_url: str, pg_url: str) -> None:
    """``ris-connector beat`` run briefly with no worker: the broker receives ``run_source`` tasks
    carrying the source's name and an expiry: each source's first task at start (the daily one
    too, not a day later), then the 1-second source's every second, and no second daily one."""
    import redis

    config = write_config(
        tmp_path / "fleet.toml",
        pg_url,
        [toml_source("fast", "http://127.0.0.1:9/system", interval="1s"), toml_source("daily", "http://127.0.0.1:9/s")],
    )
    cmd = [sys.executable, "-m", "ris_connector", "beat", "--config", str(config), "--broker", broker_url]
    cmd += ["--schedule-file", str(tmp_path / "beat-schedule"), "--loglevel", "INFO"]
    client = redis.Redis.from_url(broker_url)
    with (tmp_path / "beat.log").open("wb") as log:
        beat = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for("beat to send three ticks", lambda: client.llen("ris-connector") >= 3, 30)
    finally:
        os.killpg(beat.pid, signal.SIGTERM)
        beat.wait(20)
    messages = [json.loads(m) for m in client.lrange("ris-connector", 0, -1)]
    client.close()
    headers = [m["headers"] for m in messages]
    assert {h["task"] for h in headers} == {"ris_connector.run_source"}
    sent = Counter(h["argsrepr"] for h in headers)
    assert sent["['daily']"] == 1 and sent["['fast']"] >= 2, (tmp_path / "beat.log").read_text()
    assert all(h["expires"] for h in headers)
