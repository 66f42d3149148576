"""Health is visible: a run that quarantines too much is ``degraded`` (report, exit 4, ``status``),
and the quarantine keeps the latest rejection per record, so it cannot grow without end.

A real event feed of 999 events stored 43 and exited 0 with ``status`` saying ok. The feeds here
come from a real HTTP server on 127.0.0.1; the stores are a real SQLite file and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.celery.runner import DEGRADED, sync_once
from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import Store, open_store
from ris_connector.store.base import WriteBatch
from ris_connector.store.ledger import TaskLedger
from ris_connector.sync import RunReport, run_source
from tests.support.clirun import cli, cli_json, write_config
from tests.support.faulty_oparl import clear, inject
from tests.support.ics_server import IcsServer
from tests.support.ristest import FAST_HTTP, OParlFactory, sync

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
PATH = "/kalender.ics"


def events_feed(n: int = 20, *, broken: tuple[int, ...] = (), dropped: tuple[int, ...] = ()) -> str:
    """``n`` meetings; those in ``broken`` have no DTSTART (a meeting cannot exist without it)."""
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Health//DE"]
    for i in range(n):
        if i in dropped:
            continue
        out += ["BEGIN:VEVENT", f"UID:sitzung-{i}@ris.example.de", f"SUMMARY:Sitzung {i}"]
        if i not in broken:
            out.append(f"DTSTART;TZID=Europe/Berlin:202604{1 + i % 28:02d}T170000")
        out += ["LOCATION:Rathaus", "END:VEVENT"]
    return "\n".join([*out, "END:VCALENDAR"])


def mid(i: int, source: str = "rat") -> str:
    return f"urn:ris:{source}:Meeting:sitzung-{i}@ris.example.de"


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with IcsServer() as srv:
        yield srv


def ics_sync(url: str, store: Store, name: str = "rat", **extra: Any) -> RunReport:
    source = source_from_mapping({"name": name, "adapter": "ics", "url": url, "http": FAST_HTTP, **extra})
    return run_source(source, store, clock=FixedClock(NOW))


def test_a_run_that_quarantines_too_much_is_degraded_but_read_whole(server: IcsServer, any_store: Store) -> None:
    url = server.put(PATH, events_feed())
    first = ics_sync(url, any_store)
    assert first.status == "complete" and first.quarantine_share()["Meeting"] == 0.0

    server.put(PATH, events_feed(broken=(0, 1), dropped=(19,)))
    second = ics_sync(url, any_store)
    assert second.status == "degraded" and second.complete and second.degraded
    report = second.to_json_dict()
    assert report["quarantine_share"]["Meeting"] == round(2 / 19, 4)  # 17 unchanged + 2 quarantined read
    assert report["degraded_types"] == ["Meeting"] and report["max_quarantine_fraction"] == 0.05
    assert "degraded: 10.5% of Meeting quarantined" in second.summary()
    # read whole: the vanished event is deleted as after a complete run ...
    assert second.counts["Meeting"]["deleted"] == 1 and any_store.get(mid(19)).deleted
    # ... but a record the source still lists, whose copy could not be read, keeps its stored version
    for i in (0, 1):
        row = any_store.get(mid(i))
        assert row is not None and not row.deleted and row.data["name"] == f"Sitzung {i}"
    assert any_store.runs("rat")[0].status == "degraded"
    assert any_store.last_complete_run("rat", full_only=True).run_id == second.run_id

    lenient = ics_sync(url, any_store, max_quarantine_fraction=0.2)
    assert lenient.status == "complete" and lenient.degraded_types() == []


def test_the_quarantine_keeps_the_latest_rejection_per_record(server: IcsServer, any_store: Store) -> None:
    url = server.put(PATH, events_feed(broken=(3,)))
    runs = [ics_sync(url, any_store, max_quarantine_fraction=0.5) for _ in range(3)]
    rows = any_store.quarantined("rat")
    assert len(rows) == 1  # three rejections of the same event: one row, the latest
    assert rows[0]["ref"] == mid(3) and rows[0]["run_id"] == runs[-1].run_id
    assert "DTSTART" in rows[0]["reason"] and json.loads(rows[0]["raw"])

    server.put(PATH, events_feed())
    accepted = ics_sync(url, any_store)
    assert accepted.counts["Meeting"]["created"] == 1 and any_store.quarantined("rat") == []  # forgotten


def test_payloads_without_an_id_are_kept_once_and_pruned_when_gone(
    oparl_server: OParlFactory, any_store: Store
) -> None:
    server = oparl_server(scale=0.005)

    def drop_first_id(page: dict[str, Any]) -> None:
        if page.get("pagination", {}).get("currentPage") == 1:
            page["data"][0].pop("id", None)

    inject(server, "/bodies/1/meetings", "edit", edit=drop_first_id)
    for _ in range(2):
        assert sync(server, any_store, full=True).complete
    (row,) = any_store.quarantined("test")
    assert row["ref"] is None and row["reason"].startswith("object without id (on http://127.0.0.1:")
    clear(server)
    assert sync(server, any_store, full=True).complete
    assert any_store.quarantined("test") == []  # a complete full run no longer met that payload


def test_one_bad_record_in_a_small_incremental_run_is_measured_against_the_source(
    oparl_server: OParlFactory, any_store: Store
) -> None:
    """An incremental run reads few records: one bad payload among them is no degraded source
    when the source holds many of that type (the share is taken of what the source holds)."""
    server = oparl_server(scale=0.005)
    assert sync(server, any_store, full=True).status == "complete"
    meetings = any_store.live_counts("test")["Meeting"]
    assert meetings >= 20

    def add_meeting_without_id(page: dict[str, Any]) -> None:
        page["data"].append({"type": "https://schema.oparl.org/1.1/Meeting", "name": "Rat"})

    inject(server, "/bodies/1/meetings", "edit", edit=add_meeting_without_id)
    report = sync(server, any_store, full=False)
    assert not report.full and report.total("quarantined") == 1
    assert report.quarantine_share()["Meeting"] <= 1 / meetings
    assert report.status == "complete"
    assert report.stored["Meeting"] == meetings


def _downgrade(url: str) -> None:
    """Make a fresh store look like one of the version before keyed quarantine rows."""
    rows = [
        ("a", 1, "2026-01-01", "Meeting", "X", "r1", "{}"),
        ("a", 2, "2026-01-02", "Meeting", "X", "r2", "{}"),
        ("a", 3, "2026-01-03", "Meeting", None, "r3", '{"n":1}'),
        ("a", 4, "2026-01-04", "Meeting", None, "r4", '{"n":1}'),
        ("b", 1, "2026-01-01", "Meeting", "X", "r5", "{}"),
    ]
    insert = "INSERT INTO quarantine (source, run_id, at, type, ref, reason, raw) VALUES "
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute("DROP INDEX quarantine_key")
            db.execute("ALTER TABLE quarantine DROP COLUMN qkey")
            db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
            with db.cursor() as cur:
                cur.executemany(insert + "(%s, %s, %s, %s, %s, %s, %s)", rows)
        return
    lite = sqlite3.connect(url)
    lite.executescript("DROP INDEX quarantine_key; ALTER TABLE quarantine DROP COLUMN qkey;")
    lite.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    lite.executemany(insert + "(?, ?, ?, ?, ?, ?, ?)", rows)
    lite.commit()
    lite.close()


def test_an_older_quarantine_is_migrated_to_one_row_per_record(store_url: str) -> None:
    open_store(store_url).close()
    _downgrade(store_url)
    with closing(open_store(store_url)) as store:  # the Store protocol has no __enter__
        rows = {(r["source"], r["ref"]): r["reason"] for r in store.quarantined()}
        assert rows == {("a", "X"): "r2", ("a", None): "r4", ("b", "X"): "r5"}
        batch = WriteBatch("a", 5, "2026-01-05")
        batch.quarantine.append(("Meeting", "X", "r6", "{}"))
        store.apply(batch)
        assert sorted(r["reason"] for r in store.quarantined("a")) == ["r4", "r6"]
        accept = WriteBatch("a", 6, "2026-01-06")
        accept.upserts.append(("X", "Meeting", "h", '{"id":"X","type":"Meeting"}', False))
        store.apply(accept)
        assert [r["reason"] for r in store.quarantined("a")] == ["r4"] and len(store.quarantined("b")) == 1
    with closing(open_store(store_url)) as again:  # opening a migrated store changes nothing
        assert len(again.quarantined()) == 2


def _finished_run(store: Store, source: str, hours_ago: float, status: str, report: dict[str, Any]) -> None:
    at = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    run_id = store.start_run(source, "ics", full=True, started=at)
    store.finish_run(run_id, status=status, finished=at, report=report)


def test_status_shows_degraded_sources_and_exits_4(
    any_store: Store, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _finished_run(any_store, "gesund", 1, "complete", {"errors": []})
    _finished_run(any_store, "krank", 2, "complete", {"errors": []})
    _finished_run(any_store, "krank", 1, "degraded", {"errors": [], "degraded_types": ["Meeting"]})

    assert main(["status", "--db", store_url, "--json"]) == 4
    out = json.loads(capsys.readouterr().out)
    assert out["degraded"] == ["krank"] and out["stale"] == []
    by = {s["source"]: s for s in out["sources"]}
    assert by["krank"]["degraded"] and by["krank"]["degraded_types"] == ["Meeting"]
    assert by["krank"]["failures_since"] == 0 and 3500 < by["krank"]["age_s"] < 3700  # a degraded run is fresh
    assert not by["gesund"]["degraded"]

    assert main(["status", "--db", store_url]) == 4
    text = capsys.readouterr().out
    assert "DEGRADED" in text and "degraded: too much quarantined of Meeting" in text
    assert main(["status", "--db", store_url, "--source", "gesund"]) == 0
    capsys.readouterr()
    _finished_run(any_store, "alt", 40, "complete", {"errors": []})
    assert main(["status", "--db", store_url]) == 3  # a stale source outranks a degraded one
    capsys.readouterr()
    _finished_run(any_store, "krank", 0, "complete", {"errors": []})
    assert main(["status", "--db", store_url, "--source", "krank"]) == 0  # healthy again


def test_a_degraded_fleet_task_is_done_not_retried(server: IcsServer, tmp_path: Path) -> None:
    url = server.put(PATH, events_feed(broken=(0, 1, 2)))
    config = source_from_mapping({"name": "rat", "adapter": "ics", "url": url, "http": FAST_HTTP})
    with closing(open_store(str(tmp_path / "ris.db"))) as store:
        out = sync_once(store, config, task_id="t1", worker="w", last_failure=False, last_wait=False)
        assert out.status == DEGRADED and not out.retry and out.report is not None
        assert out.report["degraded_types"] == ["Meeting"]
        assert TaskLedger(store).done_entries("rat")[-1]["status"] == "degraded"


def test_cli_exit_4_for_a_degraded_source_and_3_when_one_fails(server: IcsServer, tmp_path: Path) -> None:
    url = server.put(PATH, events_feed(broken=(0, 1)))
    db = tmp_path / "ris.db"
    one = f'[[source]]\nname = "rat"\nadapter = "ics"\nurl = "{url}"\n'
    config = write_config(tmp_path / "ris.toml", db, one)

    code, report = cli_json("sync", "--config", str(config))
    assert code == 4 and report["status"] == "degraded"
    assert report["quarantine_share"]["Meeting"] == 0.1 and report["degraded_types"] == ["Meeting"]
    assert report["counts"]["Meeting"]["created"] == 18 and report["counts"]["Meeting"]["quarantined"] == 2
    status = cli("status", "--config", str(config))
    assert status.returncode == 4 and "DEGRADED" in status.stdout, status.stdout
    code, health = cli_json("status", "--config", str(config))
    assert code == 4 and health["degraded"] == ["rat"]

    gone = f'[[source]]\nname = "weg"\nadapter = "ics"\nurl = "{server.url("/gibt-es-nicht.ics")}"\n'
    both = write_config(tmp_path / "both.toml", db, one + "\n" + gone)
    code, combined = cli_json("sync", "--config", str(both))
    assert code == 3 and combined["status"] == "incomplete" and combined["degraded"] == ["rat"]  # failure wins

    server.put(PATH, events_feed())
    code, healed = cli_json("sync", "--config", str(config))
    assert code == 0 and healed["status"] == "complete" and healed["degraded_types"] == []
    assert cli("status", "--config", str(config), "--source", "rat").returncode == 0
    assert cli("status", "--config", str(config)).returncode == 3  # "weg" never completed: stale outranks
