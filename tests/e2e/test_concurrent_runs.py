"""Two ``ris-connector sync`` processes on the same source and store: one waits or gives up cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ris_connector.sample.server import OParlServer
from tests.support.ristest import OParlFactory
from tests.support.storecheck import invariant_violations, query


def _sync(cfg: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "ris_connector.cli", "sync", "--config", str(cfg), "--db", url, "--json", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_run(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the first sync ended before the test could start the second"
        try:
            if query(url, "SELECT 1 FROM runs WHERE status = 'running'"):
                return
        except Exception:  # the tables are not created yet
            pass
        time.sleep(0.02)
    raise AssertionError("the first sync never started")


def test_second_sync_exits_3_or_waits(oparl_server: OParlFactory, store_url: str, tmp_path: Path) -> None:
    # Latency per request and one connection keep the first run busy (about 3 s) while the others start.
    server: OParlServer = oparl_server(scale=0.005, latency=0.1)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[[source]]\nname = "conc"\nadapter = "oparl"\nurl = "{server.system_url}"\nbatch_size = 25\nconcurrency = 1\n'
        "[source.http]\nrate_limit = 0\n",
        encoding="utf-8",
    )
    first = _sync(cfg, store_url)
    _wait_for_run(store_url, first)
    refused = _sync(cfg, store_url)
    waiting = _sync(cfg, store_url, "--wait")
    out_r, err_r = refused.communicate(timeout=60)
    out_1, err_1 = first.communicate(timeout=120)
    out_w, err_w = waiting.communicate(timeout=120)

    # The second process gives up at once with exit status 3 and a message naming the source.
    assert refused.returncode == 3, err_r
    assert "'conc' is being synced by another process" in err_r
    assert "ris_test:ris_test@" not in err_r  # the store URL in the message carries no password
    assert json.loads(out_r)["status"] == "locked"
    # The first completes; the waiting one runs after it, incrementally, and finds nothing new.
    assert first.returncode == 0, err_1
    assert waiting.returncode == 0, err_w
    r1, rw = json.loads(out_1), json.loads(out_w)
    assert r1["status"] == rw["status"] == "complete"
    assert rw["run_id"] > r1["run_id"] and rw["started"] >= r1["finished"]
    assert rw["totals"]["created"] == rw["totals"]["updated"] == 0 and not rw["full"]

    assert invariant_violations(store_url) == []
    created = query(store_url, "SELECT id, COUNT(*) FROM events WHERE kind = 'created' GROUP BY id")
    assert len(created) == r1["totals"]["created"] and all(n == 1 for _, n in created)
    statuses = [s for (s,) in query(store_url, "SELECT status FROM runs ORDER BY run_id")]
    assert statuses == ["complete", "complete"]  # the refused process never started a run
