"""``ris-connector status``: freshness per source and an exit status monitoring can alert on."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ris_connector.cli import main
from ris_connector.store import Store, open_store
from tests.support.ristest import OParlFactory, sync


def _run(store: Store, source: str, hours_ago: float, status: str, errors: list[str] | None = None) -> None:
    at = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    run_id = store.start_run(source, "oparl", full=True, started=at)
    if status != "running":
        store.finish_run(run_id, status=status, finished=at, report={"errors": errors or []})


def test_status_flags_stale_sources(any_store: Store, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _run(any_store, "fresh", 1, "complete")
    _run(any_store, "stale", 30, "complete")
    _run(any_store, "stale", 20, "aborted")
    _run(any_store, "stale", 2, "incomplete", ["[stale] HTTP 503 for https://ris.example/oparl/papers"])
    _run(any_store, "never", 3, "failed", ["boom"])

    assert main(["status", "--db", store_url, "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["stale"] == ["never", "stale"]
    by = {s["source"]: s for s in out["sources"]}
    assert by["fresh"]["failures_since"] == 0 and 3500 < by["fresh"]["age_s"] < 3700
    assert by["stale"]["failures_since"] == 2 and by["stale"]["last_status"] == "incomplete"
    assert by["stale"]["last_errors"] == ["[stale] HTTP 503 for https://ris.example/oparl/papers"]
    assert by["never"]["last_complete"] is None and by["never"]["failures_since"] == 1

    assert main(["status", "--db", store_url, "--max-age", "2d", "--source", "fresh", "--source", "stale"]) == 0
    text = capsys.readouterr().out
    assert "fresh" in text and "failures since 2" in text and "STALE" not in text
    assert main(["status", "--db", store_url, "--max-age", "30m", "--source", "fresh"]) == 3
    assert "STALE" in capsys.readouterr().out
    assert main(["status", "--db", store_url, "--max-age", "soon"]) == 2


def test_status_after_a_real_sync(
    oparl_server: OParlFactory, any_store: Store, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server = oparl_server(scale=0.003)
    assert sync(server, any_store).complete
    assert main(["status", "--db", store_url]) == 0
    assert "test" in capsys.readouterr().out


def test_status_of_an_empty_store_is_an_alert(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    open_store(store_url).close()  # a store that exists and holds no run (a missing file: test_factory_first_minute)
    assert main(["status", "--db", store_url]) == 3
    assert "no sync runs" in capsys.readouterr().out
