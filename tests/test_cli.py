"""The command-line contract of issue 2: sync, export, changes, exit codes, adapters, demo.

The CLI runs in-process (``ris_connector.cli.main``) against the sample OParl server on 127.0.0.1
and real SQLite files.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.cli import main
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from tests.support.ristest import OParlFactory

REPORT_KEYS = {"counts", "requests", "retries", "warnings", "duration_s"}
COUNT_KINDS = {"created", "updated", "unchanged", "deleted", "quarantined"}


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def synced(server: OParlServer, db: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status, out, _ = cli(["sync", "--oparl", server.system_url, "--db", str(db), "--json"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 1, out
    report: dict[str, Any] = json.loads(lines[0])
    return report


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sync_json_report(oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = oparl_server(scale=0.005)
    report = synced(server, tmp_path / "ris.db", capsys)
    assert set(report) >= REPORT_KEYS
    assert report["counts"]["Paper"]["created"] == len(server.dataset.ids("Paper"))
    for counts in report["counts"].values():
        assert set(counts) == COUNT_KINDS
    assert report["requests"] == len(server.requests)
    assert report["retries"] == 0
    assert isinstance(report["warnings"], list) and isinstance(report["duration_s"], float)


def test_export_and_changes(oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = oparl_server(scale=0.005)
    db = tmp_path / "ris.db"
    synced(server, db, capsys)

    status, out, _ = cli(["export", "--db", str(db)], capsys)
    assert status == 0
    records = json_lines(out)
    assert all("id" in r and "type" in r for r in records)
    assert {r["type"] for r in records} >= {"Body", "Meeting", "Paper", "File", "Person", "AgendaItem"}

    status, out, _ = cli(["export", "--db", str(db), "--type", "Meeting"], capsys)
    meetings = json_lines(out)
    assert status == 0 and {r["type"] for r in meetings} == {"Meeting"}
    assert {r["id"] for r in meetings} == set(server.dataset.ids("Meeting"))

    with SQLiteStore(db) as store:
        last_seq = max(e.seq for e in store.changes())
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    gone = server.dataset.ids("Paper")[0]
    server.dataset.delete(gone, modified=stamp)
    changed = server.dataset.ids("Paper")[1]
    server.dataset.update(changed, name="Per CLI geändert", modified=stamp)
    report = synced(server, db, capsys)
    assert report["counts"]["Paper"]["deleted"] == 1 and report["counts"]["Paper"]["updated"] == 1

    status, out, _ = cli(["export", "--db", str(db), "--type", "Paper"], capsys)
    assert gone not in {r["id"] for r in json_lines(out)}
    status, out, _ = cli(["export", "--db", str(db), "--type", "Paper", "--include-deleted"], capsys)
    deleted = [r for r in json_lines(out) if r["id"] == gone]
    assert len(deleted) == 1 and deleted[0]["deleted"] is True

    status, out, _ = cli(["changes", "--db", str(db), "--after", str(last_seq)], capsys)
    events = json_lines(out)
    assert status == 0
    assert {(e["kind"], e["id"]) for e in events} == {("deleted", gone), ("updated", changed)}
    assert all(e["seq"] > last_seq and e["type"] == "Paper" for e in events)
    assert next(e for e in events if e["kind"] == "updated")["fields"] == ["name"]


def test_export_unknown_type_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(["export", "--db", str(tmp_path / "x.db"), "--type", "Sitzung"], capsys)
    assert status == 2
    assert out == "" and "Sitzung" in err


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('dbx = "a.db"\n[[source]]\nname = "a"\nadapter = "oparl"\nurl = "http://127.0.0.1:9/system"\n', "dbx"),
        ('[[source]]\nname = "a"\nadapter = "nosuchadapter"\nurl = "http://127.0.0.1:9/system"\n', "nosuchadapter"),
        ('[[source]]\nname = "a"\nadapter = "oparl"\nurl = "http://127.0.0.1:9/system"\nvendr = "x"\n', "vendr"),
        ('[[source]]\nname = "a"\nadapter = "oparl"\nurl = "http://127.0.0.1:9/system"\nvendor = "acme"\n', "acme"),
        (
            '[[source]]\nname = "a"\nadapter = "oparl"\nurl = "http://127.0.0.1:9/s"\n[source.http]\ntimeout = 3\n',
            "timeout",
        ),
        ('[[source]]\nname = "a b"\nadapter = "oparl"\nurl = "http://127.0.0.1:9/system"\n', "name"),
        ("[[source]\n", "ris.toml"),
    ],
)
def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, message: str) -> None:
    path = write(tmp_path / "ris.toml", config)
    status, out, err = cli(["sync", "--config", str(path), "--db", str(tmp_path / "x.db"), "--json"], capsys)
    assert status == 2, err
    assert out == ""
    assert "configuration error" in err and message in err


def test_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(["sync", "--config", str(tmp_path / "nope.toml")], capsys)
    assert status == 2 and "nope.toml" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sync"])
    assert exc.value.code == 2


def test_config_with_two_sources_into_one_db(
    oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = oparl_server(scale=0.005, seed=1)
    b = oparl_server(scale=0.005, seed=2, version="1.0")
    config = write(
        tmp_path / "ris.toml",
        'db = "both.db"\n'
        "[defaults.http]\nrate_limit = 0\n"
        f'[[source]]\nname = "stadt-a"\nadapter = "oparl"\nurl = "{a.system_url}"\n'
        f'[[source]]\nname = "stadt-b"\nadapter = "oparl"\nurl = "{b.system_url}"\n',
    )
    status, out, _ = cli(["sync", "--config", str(config), "--json"], capsys)
    assert status == 0
    report = json.loads(out)
    assert [s["source"] for s in report["sources"]] == ["stadt-a", "stadt-b"]
    total_papers = len(a.dataset.ids("Paper")) + len(b.dataset.ids("Paper"))
    assert report["counts"]["Paper"]["created"] == total_papers
    with SQLiteStore(tmp_path / "both.db") as store:
        assert sorted(store.sources()) == ["stadt-a", "stadt-b"]
        assert len(list(store.iter_rows(type_name="Paper", source="stadt-b"))) == len(b.dataset.ids("Paper"))
    status, out, _ = cli(["sync", "--config", str(config), "--source", "stadt-b", "--json"], capsys)
    assert status == 0 and json.loads(out)["source"] == "stadt-b"


def test_adapters_lists_oparl(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(["adapters", "--json"], capsys)
    assert status == 0
    adapters = json_lines(out)
    assert "oparl" in {a["name"] for a in adapters}


def test_demo_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(
        ["demo", "--db", str(tmp_path / "demo.db"), "--scale", "0.005", "--port", "0", "--json"], capsys
    )
    assert status == 0
    tour = json.loads(out)
    load, update = tour["load"], tour["update"]
    assert load["status"] == "complete" and load["full"] and load["totals"]["created"] > 100
    assert update["status"] == "complete" and not update["full"] and update["totals"]["created"] == 1
    assert all(f"--db {tmp_path / 'demo.db'}" in command for command in tour["next"])
    with SQLiteStore(tmp_path / "demo.db") as store:
        assert any(True for _ in store.iter_rows(type_name="Meeting"))


def test_a_command_loads_only_its_own_module(oparl_server: OParlFactory, tmp_path: Path) -> None:
    """``ris-connector sync`` imports no other command's code (start-up time of every run);
    commands registered by a module of another name and unknown commands still work."""
    import subprocess
    import sys

    server = oparl_server(scale=0.005)
    db = tmp_path / "s.db"
    code = (
        "import sys\nfrom ris_connector.cli import main\n"
        f"status = main(['-q', 'sync', '--oparl', {server.system_url!r}, '--db', {str(db)!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('ris_connector.outputs', 'ris_connector.files',"
        " 'ris_connector.sinks', 'ris_connector.cli.serve_cmd', 'ris_connector.cli.export_cmd')))\n"
        "print(status, loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "0 []", done.stderr
    changes = subprocess.run(
        [sys.executable, "-m", "ris_connector.cli", "changes", "--db", str(db), "--limit", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert changes.returncode == 0, changes.stderr
    assert json.loads(changes.stdout)["kind"] == "created"
    unknown = subprocess.run(
        [sys.executable, "-m", "ris_connector.cli", "nosuch"], capture_output=True, text=True, timeout=60, check=False
    )
    assert unknown.returncode == 2
    assert "'export-oparl'" in unknown.stderr  # the full list of commands
