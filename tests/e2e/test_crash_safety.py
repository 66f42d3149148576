"""Crash safety: ``ris-connector sync`` killed with SIGKILL at random points, then restarted.

A real subprocess (``python -m ris_connector.cli sync --config ...``) syncs a sample OParl
server (a thread of this test process) into a real store. Each chain is: phase A, the first
(full) sync; then the server changes (papers renamed, an organization deleted, a paper added)
and phase B, an incremental sync. In each phase the process is killed at a uniformly random
time, mostly within the sync proper of an uninterrupted run (after the interpreter start), up
to six times, and finally run to
completion. What must hold, compared with an uninterrupted chain on the same back-end:

* after every kill: the store is consistent (``storecheck.invariant_violations``) and no
  stream state is ahead of its data: every object of a list whose watermark is committed is
  stored with the content the uninterrupted run has for it (state never ahead of data);
* after each phase: every record's final content equals the uninterrupted run's (no record
  lost, none extra), each record has exactly one ``created`` event, and the multiset of change
  events (kind, type, id, changed fields) equals the uninterrupted run's exactly: no event lost,
  none duplicated, none for a record that did not change; references and stream states equal.

The figures (kills, kills that hit a run with partial data committed, records lost) are
printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ris_connector.sample.server import OParlServer
from tests.support.storecheck import Snapshot, invariant_violations, query, snapshot
from tests.support.storetest import BACKENDS, store_url_for

SCALE = 0.005  # ~770 records; a full run is ~0.4 s of work plus ~0.5 s interpreter start
BATCH = 25  # many small transactions: many distinct points to die between
LATENCY = 0.004  # seconds per request, spreads the commits over the run
KILLS = int(os.environ.get("RIS_CRASH_KILLS", "50"))
SEED = int(os.environ.get("RIS_CRASH_SEED", "6"))


def _config(tmp: Path, server: OParlServer) -> Path:
    cfg = tmp / f"crash-{server.port}.toml"
    cfg.write_text(
        f"""
[[source]]
name = "crash"
adapter = "oparl"
url = "{server.system_url}"
batch_size = {BATCH}
[source.http]
rate_limit = 0
backoff_initial = 0.01
backoff_max = 0.05
""",
        encoding="utf-8",
    )
    return cfg


def _spawn(cfg: Path, url: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "ris_connector.cli", "-q", "sync", "--config", str(cfg), "--db", url, "--json"]
    # --wait: a PostgreSQL backend of a killed process may hold the source lock for a moment.
    return subprocess.Popen(
        [*cmd, "--wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _complete(cfg: Path, url: str) -> tuple[float, float]:
    """Run to completion; (seconds until the sync began, seconds of the whole process)."""
    t0 = time.monotonic()
    proc = _spawn(cfg, url)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}: {err[-2000:]}"
    report = json.loads(out)
    assert report["status"] == "complete"
    wall = time.monotonic() - t0
    return max(0.0, wall - report["duration_s"]), wall


def _mutate(server: OParlServer) -> None:
    """The same changes in every chain: 3 papers renamed, an organization deleted, a paper added."""
    ds = server.dataset
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for i, paper in enumerate(ds.ids("Paper")[:3]):
        ds.update(paper, name=f"Geänderter Titel {i}", modified=now)
    ds.delete(ds.ids("Organization")[-1], modified=now)
    ds.add(
        {
            "type": "Paper",
            "name": "Neuer Antrag",
            "reference": "2026/9999",
            "paperType": "Antrag",
            "body": ds.bodies[0],
        },
        modified=now,
    )


@contextmanager
def _server() -> Iterator[OParlServer]:
    server = OParlServer(scale=SCALE, latency=LATENCY).start()  # killed clients are no errors to it
    try:
        yield server
    finally:
        server.stop()


def _origin(server: OParlServer) -> str:
    return f"http://{server.host}:{server.port}"


def _state_violations(
    url: str, server: OParlServer, phase_start: datetime, now_ref: Snapshot, old_ref: Snapshot | None
) -> list[str]:
    """Streams whose committed watermark claims objects the store does not hold as the reference does."""
    ds, origin = server.dataset, _origin(server)
    problems = []
    records = snapshot(url, origin).records
    for stream, value in query(url, "SELECT stream, value FROM state"):
        body_id, name = stream.split("|", 1)
        current = datetime.fromisoformat(json.loads(value)["watermark"]) >= phase_start
        for path in ds.lists[ds.path_of(body_id)][name]:
            oid = ds.id_of(path).replace(origin, "ORIGIN")
            if current or old_ref is None:
                # The list was read in this phase: the store must hold what the reference holds.
                if oid in now_ref.records and records.get(oid) != now_ref.records[oid]:
                    problems.append(f"{stream}: watermark committed but {oid} is {_how(oid, records)}")
            elif oid in old_ref.records and records.get(oid) not in (old_ref.records[oid], now_ref.records.get(oid)):
                # A watermark of the previous phase: the object as it was then, or already updated.
                problems.append(f"{stream}: old watermark but {oid} is {_how(oid, records)}")
    return problems


def _how(oid: str, records: dict[str, tuple[str, bool, str]]) -> str:
    return "missing" if oid not in records else "stale"


def _compare(got: Snapshot, ref: Snapshot) -> dict[str, int]:
    lost = set(ref.records) - set(got.records)
    extra = set(got.records) - set(ref.records)
    differ = {i for i in set(ref.records) & set(got.records) if ref.records[i] != got.records[i]}
    missing_events = ref.events - got.events
    extra_events = got.events - ref.events
    return {
        "records lost": len(lost),
        "records extra": len(extra),
        "records differing": len(differ),
        "events lost": sum(missing_events.values()),
        "events extra": sum(extra_events.values()),
        "records with created != 1": sum(1 for i in got.records if got.created_per_id[i] != 1),
        "refs differing": len(ref.refs ^ got.refs),
        "states differing": len(ref.states ^ got.states),
    }


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_at_random_points_loses_nothing(backend: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    # The uninterrupted chain: references and the length of each phase.
    with _server() as server, store_url_for(backend, tmp_path / "ref") as url:
        cfg = _config(tmp_path, server)
        t_a = _complete(cfg, url)
        ref_a = snapshot(url, _origin(server))
        _mutate(server)
        t_b = _complete(cfg, url)
        ref_b = snapshot(url, _origin(server))
        lengths = {"A": t_a, "B": t_b}
        assert not invariant_violations(url)
    assert len(ref_a.records) > 700
    changed = {k for k in ref_b.events - ref_a.events}
    assert {k[0] for k in changed} == {"created", "updated", "deleted"}

    stats = {"kills": 0, "kills during a run": 0, "kills after partial commits": 0, "runs": 0, "chains": 0}
    totals: dict[str, int] = {}
    chain = 0
    while stats["kills"] < KILLS:
        chain += 1
        with _server() as server, store_url_for(backend, tmp_path / f"c{chain}") as url:
            cfg = _config(tmp_path, server)
            origin = _origin(server)
            for phase, ref, old in (("A", ref_a, None), ("B", ref_b, ref_a)):
                length = lengths[phase]
                if phase == "B":
                    _mutate(server)
                phase_start = datetime.now(timezone.utc)
                kills_here = 0
                while kills_here < 6 and (kills_here == 0 or rng.random() < 0.85):
                    proc = _spawn(cfg, url)
                    stats["runs"] += 1
                    try:
                        # Mostly within the sync itself, some during start-up or right at the end.
                        proc.wait(timeout=rng.uniform(length[0] * 0.8, length[1] * 0.95))
                        break  # finished before the kill: the phase is complete, checked below
                    except subprocess.TimeoutExpired:
                        os.kill(proc.pid, signal.SIGKILL)
                        proc.communicate()
                    stats["kills"] += 1
                    kills_here += 1
                    if not _exists(url):
                        continue  # killed before the store was even created
                    running = query(url, "SELECT run_id FROM runs WHERE status = 'running'")
                    if running:
                        stats["kills during a run"] += 1
                        events = query(url, f"SELECT COUNT(*) FROM events WHERE run_id = {running[0][0]}")
                        stats["kills after partial commits"] += events[0][0] > 0
                    problems = invariant_violations(url)
                    problems += _state_violations(url, server, phase_start, ref, old)
                    assert not problems, f"after kill {stats['kills']} (phase {phase}): {problems[:5]}"
                # The machine's load changes: aim the next kills by the latest complete run.
                lengths[phase] = _complete(cfg, url)
                stats["runs"] += 1
                result = _compare(snapshot(url, origin), ref)
                for key, n in result.items():
                    totals[key] = totals.get(key, 0) + n
                assert not any(result.values()), f"chain {chain} phase {phase}: {result}"
                assert not invariant_violations(url)
        stats["chains"] = chain
    print(f"\ncrash test [{backend}]: {stats}; compared against uninterrupted run: {totals}")
    assert stats["kills after partial commits"] > 0


def _exists(url: str) -> bool:
    if url.startswith("postgres"):
        return bool(
            query(
                url,
                "SELECT 1 FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_name = 'records'",
            )
        )
    # The schema is created in one transaction: a file killed before its commit holds no tables.
    return Path(url).exists() and bool(query(url, "SELECT 1 FROM sqlite_master WHERE name = 'records'"))
