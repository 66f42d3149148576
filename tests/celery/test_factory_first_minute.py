"""A new fleet tells the truth from its first minute: beat's first tick at start, and every
command finds the store the workers use (``RIS_CONFIG``, ``RIS_DB``) without creating one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from celery.beat import Scheduler

from ris_connector.celery.factory import create_app
from ris_connector.celery.settings import FleetSettings
from ris_connector.cli import main
from ris_connector.errors import ConfigError
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from tests.support.ristest import sync


def _fleet_file(path: Path, *, db: str | None = None, interval: str = "2h") -> Path:
    head = f'db = "{db}"\n' if db else ""
    path.write_text(
        head
        + f'[[source]]\nname = "town"\nadapter = "oparl"\nurl = "http://127.0.0.1:9/system"\ninterval = "{interval}"\n',
        encoding="utf-8",
    )
    return path


def _scheduler(config: Path, schedule: dict[str, object] | None = None) -> Scheduler:
    app = create_app(FleetSettings(config=str(config), db="unused.db", broker_url="memory://"))
    return Scheduler(app=app, schedule=schedule, lazy=False)


def test_a_new_beat_sends_the_first_task_at_start_not_after_an_interval(tmp_path: Path) -> None:
    """Celery's default takes "now" as the last run of a new entry: with interval 2h the first
    sync would come two hours after start. The entry is due at once and then every 2h."""
    entry = _scheduler(_fleet_file(tmp_path / "fleet.toml")).schedule["sync town"]
    due, next_in = entry.is_due()
    assert due, "the first tick of a new fleet must be due at start"
    assert next_in == 2 * 3600
    after = next(entry)  # what beat stores once it sent the task
    due_again, wait = after.is_due()
    assert not due_again and 7000 < wait <= 7200


def test_a_restarted_beat_keeps_the_times_it_stored(tmp_path: Path) -> None:
    """Beat's schedule file holds the entry already: its stored last run wins, so a restart
    does not sync every source again."""
    config = _fleet_file(tmp_path / "fleet.toml")
    first = _scheduler(config)
    sent = next(first.schedule["sync town"])  # sent just now and persisted
    restarted = _scheduler(config, schedule={"sync town": sent})
    due, wait = restarted.schedule["sync town"].is_due()
    assert not due and wait > 7000


def test_status_reads_ris_config_and_ris_db_like_the_workers(
    tmp_path: Path, oparl_server: type[OParlServer], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fleet file that leaves ``db`` to the environment: ``status`` in another folder finds the
    store through RIS_DB, lists the file's sources through RIS_CONFIG, and creates no file."""
    srv = oparl_server(scale=0.002)
    db = tmp_path / "shared.db"
    store = SQLiteStore(db)
    assert sync(srv, store, name="town").complete
    store.close()
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("RIS_CONFIG", str(_fleet_file(tmp_path / "fleet.toml")))
    monkeypatch.setenv("RIS_DB", str(db))
    assert main(["status", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["source"] for s in out["sources"]] == ["town"] and out["stale"] == []
    assert out["sources"][0]["max_age_s"] == 4 * 3600  # the file's interval 2h + 2h: RIS_CONFIG was read
    assert os.listdir(work) == []


def test_the_file_db_is_found_through_ris_config(
    tmp_path: Path, oparl_server: type[OParlServer], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any command (here ``export``) reads the store the RIS_CONFIG file names, as the workers do."""
    srv = oparl_server(scale=0.002)
    store = SQLiteStore(tmp_path / "fleet.db")
    assert sync(srv, store, name="town").complete
    store.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RIS_DB", raising=False)
    monkeypatch.setenv("RIS_CONFIG", str(_fleet_file(tmp_path / "fleet.toml", db="fleet.db")))
    assert main(["export", "--type", "Body"]) == 0
    assert '"type":"Body"' in capsys.readouterr().out.replace(" ", "")


def test_status_without_a_store_says_so_and_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before this fix, ``status`` created ./ris-connector.db and called every source stale
    without a word about the store."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RIS_DB", raising=False)
    monkeypatch.setenv("RIS_CONFIG", str(_fleet_file(tmp_path / "fleet.toml")))
    assert main(["status", "--json"]) == 3
    captured = capsys.readouterr()
    assert "no store at ris-connector.db" in captured.err
    assert json.loads(captured.out)["stale"] == ["town"]
    assert not (tmp_path / "ris-connector.db").exists()
    monkeypatch.delenv("RIS_CONFIG")
    assert main(["export", "--db", str(tmp_path / "nothing.db")]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not (tmp_path / "nothing.db").exists()


def test_metrics_port_setting() -> None:
    assert FleetSettings.from_env({}).metrics_port is None
    s = FleetSettings.from_env({"RIS_METRICS_PORT": "9464", "RIS_METRICS_ADDRESS": "0.0.0.0"})
    assert (s.metrics_port, s.metrics_address) == (9464, "0.0.0.0")
    with pytest.raises(ConfigError, match="RIS_METRICS_PORT"):
        FleetSettings.from_env({"RIS_METRICS_PORT": "99999"})
