"""The fleet's parts without a broker: interval config, beat schedule, settings, one delivery of
a task against a real SQLite store and a real OParl server, and the status of a failing source."""

from __future__ import annotations

import gc
import json
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ris_connector.celery.runner import COMPLETE, DUPLICATE, INCOMPLETE, LOCKED, sync_once
from ris_connector.celery.schedule import NEVER_SENT, TASK_NAME, beat_schedule
from ris_connector.celery.settings import FleetSettings
from ris_connector.cli import main
from ris_connector.cli.status_cmd import source_status
from ris_connector.config import load_config, source_from_mapping
from ris_connector.errors import ConfigError
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.store.ledger import TaskLedger


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/oparl/v1.1/system"


def test_interval_is_a_duration_with_a_daily_default(tmp_path: Path) -> None:
    assert source_from_mapping({"name": "a", "adapter": "oparl"}).interval == 86400
    assert source_from_mapping({"name": "a", "adapter": "oparl", "interval": "6h"}).interval == 6 * 3600
    assert source_from_mapping({"name": "a", "adapter": "oparl", "interval": 90}).interval == 90
    for bad in ("soon", 0, "-1h"):
        with pytest.raises(ConfigError, match=r"'a'.*interval"):
            source_from_mapping({"name": "a", "adapter": "oparl", "interval": bad})
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[defaults]\ninterval = "12h"\n[[source]]\nname = "x"\nadapter = "oparl"\n'
        '[[source]]\nname = "y"\nadapter = "oparl"\ninterval = "30m"\n',
        encoding="utf-8",
    )
    assert [s.interval for s in load_config(cfg).sources] == [12 * 3600, 1800]
    assert "interval" not in load_config(cfg).sources[0].options


def test_beat_schedule_has_one_entry_per_source_expiring_at_the_next_tick() -> None:
    sources = [
        source_from_mapping({"name": "bonn", "adapter": "oparl", "interval": "6h"}),
        source_from_mapping({"name": "krefeld", "adapter": "oparl"}),
    ]
    schedule = beat_schedule(sources)
    assert schedule == {
        "sync bonn": {
            "task": TASK_NAME,
            "schedule": timedelta(hours=6),
            "args": ("bonn",),
            "options": {"expires": 6 * 3600.0},
            "last_run_at": NEVER_SENT,
        },
        "sync krefeld": {
            "task": TASK_NAME,
            "schedule": timedelta(days=1),
            "args": ("krefeld",),
            "options": {"expires": 86400.0},
            "last_run_at": NEVER_SENT,
        },
    }


def test_app_is_configured_for_redelivery_and_carries_the_schedule(tmp_path: Path) -> None:
    from ris_connector.celery.factory import create_app

    cfg = tmp_path / "c.toml"
    cfg.write_text('[[source]]\nname = "x"\nadapter = "oparl"\ninterval = "1h"\n', encoding="utf-8")
    app = create_app(FleetSettings(config=str(cfg), broker_url="redis://127.0.0.1:1/0", visibility_timeout=120))
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] == 120
    assert list(app.conf.beat_schedule) == ["sync x"]
    task = app.tasks[TASK_NAME]
    assert task.acks_late and task.reject_on_worker_lost


def test_worker_processes_get_the_clis_garbage_collector_settings(tmp_path: Path) -> None:
    """A sync in a Celery pool process runs with the collector settings of ``ris-connector sync``."""
    from celery.signals import worker_process_init

    from ris_connector.celery.factory import create_app
    from ris_connector.runtime import GC_THRESHOLD

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        create_app(FleetSettings(config=None, broker_url="redis://127.0.0.1:1/0"))
        assert gc.get_threshold() == (700, 10, 10)  # building the app changes nothing
        worker_process_init.send(sender=None)  # what the prefork pool sends in each new process
        assert gc.get_threshold() == GC_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_settings_from_environment() -> None:
    s = FleetSettings.from_env(
        {"RIS_CONFIG": "/etc/ris.toml", "RIS_DB": "postgresql://db/ris", "RIS_MAX_RETRIES": "5",
         "RIS_RETRY_BACKOFF": "30s", "RIS_RETRY_BACKOFF_MAX": "2m", "RIS_VISIBILITY_TIMEOUT": "12h"}
    )  # fmt: skip
    assert (s.config, s.db, s.max_retries, s.visibility_timeout) == ("/etc/ris.toml", "postgresql://db/ris", 5, 43200)
    assert [s.retry_delay(n) for n in range(4)] == [30, 60, 120, 120]
    assert FleetSettings.from_env({}).broker_url == "redis://127.0.0.1:6379/0"
    with pytest.raises(ConfigError, match="RIS_LOCK_RETRY_DELAY"):
        FleetSettings.from_env({"RIS_LOCK_RETRY_DELAY": "later"})
    with pytest.raises(ConfigError, match="RIS_CONFIG is not set"):
        FleetSettings.from_env({}).require_config()


def test_one_delivery_runs_once_skips_duplicates_and_respects_the_lock(
    tmp_path: Path, oparl_server: type[OParlServer]
) -> None:
    srv = oparl_server(scale=0.002)
    config = source_from_mapping({"name": "town", "adapter": "oparl", "url": srv.system_url})
    store = SQLiteStore(tmp_path / "ris.db")
    ledger = TaskLedger(store)
    kw = {"worker": "w1", "last_failure": False, "last_wait": False}

    first = sync_once(store, config, task_id="t1", **kw)  # type: ignore[arg-type]
    assert first.status == COMPLETE and first.run_id is not None and not first.retry
    assert store.runs("town")[0].report is not None  # the run report is stored with the data
    again = sync_once(store, config, task_id="t1", **kw)  # type: ignore[arg-type]
    assert again.status == DUPLICATE and not again.retry
    assert len(store.runs("town")) == 1 and ledger.counts("town").duplicates == 1

    other = SQLiteStore(tmp_path / "ris.db")  # another worker holding the source
    with other.lock_source("town"):
        locked = sync_once(store, config, task_id="t2", **kw)  # type: ignore[arg-type]
    other.close()
    assert locked.status == LOCKED and locked.retry
    assert len(store.runs("town")) == 1 and ledger.counts("town").locked == 1
    assert sync_once(store, config, task_id="t2", **kw).status == COMPLETE  # type: ignore[arg-type]
    assert [e["task"] for e in ledger.done_entries("town")] == ["t1", "t2"]
    assert ledger.counts("town").active is None
    store.close()


def test_a_failing_source_gives_up_on_the_last_attempt_and_shows_in_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "fleet.toml"
    cfg.write_text(
        f'db = "ris.db"\n[[source]]\nname = "down"\nadapter = "oparl"\nurl = "{_closed_url()}"\n'
        'interval = "1h"\n[source.http]\nmax_attempts = 1\n',
        encoding="utf-8",
    )
    config = load_config(cfg).sources[0]
    store = SQLiteStore(tmp_path / "ris.db")
    for attempt in range(3):
        out = sync_once(store, config, task_id="t", worker="w", last_failure=attempt == 2, last_wait=False)
        assert out.status == INCOMPLETE and out.retry and "connection" in (out.error or "")
    assert [e["status"] for e in TaskLedger(store).done_entries("down")] == ["gave-up"]
    assert TaskLedger(store).counts("down").gave_up == 1
    row = source_status(store, "down", now=datetime.now(timezone.utc), max_age=7200)
    assert (row.failures_since, row.last_complete, row.stale, row.gave_up) == (3, None, True, 1)
    store.close()

    assert main(["status", "--config", str(cfg)]) == 3
    table = capsys.readouterr().out
    assert "down" in table and "never" in table and "STALE" in table and "failures since 3" in table
    assert "gave up 1" in table


def test_status_with_config_lists_sources_that_never_ran(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "fleet.toml"
    cfg.write_text(
        'db = "ris.db"\n[[source]]\nname = "new-town"\nadapter = "oparl"\ninterval = "6h"\n', encoding="utf-8"
    )
    assert main(["status", "--config", str(cfg), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["stale"] == ["new-town"]
    assert out["sources"][0]["last_status"] == "never" and out["sources"][0]["max_age_s"] == 8 * 3600


def test_a_task_that_keeps_killing_its_worker_gives_up(tmp_path: Path, oparl_server: type[OParlServer]) -> None:
    """Redelivery after a dead worker is bounded: the leftover 'active' mark counts the crashes."""
    srv = oparl_server(scale=0.002)
    config = source_from_mapping({"name": "town", "adapter": "oparl", "url": srv.system_url})
    store = SQLiteStore(tmp_path / "ris.db")
    ledger = TaskLedger(store)
    ledger.set_active("town", {"task": "t", "worker": "w0", "pid": 1, "crashes": 2})  # died twice before
    kw = {"worker": "w1", "last_failure": False, "last_wait": False, "max_crashes": 2}
    out = sync_once(store, config, task_id="t", **kw)  # type: ignore[arg-type]
    assert out.status == "failed" and not store.runs("town") and ledger.counts("town").gave_up == 1
    assert ledger.done_entries("town")[-1]["status"] == "gave-up" and ledger.counts("town").active is None

    ledger.set_active("town", {"task": "u", "worker": "w0", "pid": 1, "crashes": 1})  # died once: try again
    assert sync_once(store, config, task_id="u", **kw).status == COMPLETE  # type: ignore[arg-type]
    store.close()
