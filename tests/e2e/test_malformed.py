"""Malformed input ends in a clear message and a correct report via the CLI, never a traceback or a loop.

Each test runs ``ris-connector sync ... --json`` in-process against the sample OParl server on
127.0.0.1 with one quirk mode, into a real SQLite file, and reads stdout/stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ris_connector.cli import main
from ris_connector.sample.server import OParlServer
from tests.support.ristest import OParlFactory


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    status = main(argv)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1, captured.out  # nothing but the report on stdout
    assert "Traceback" not in captured.err
    return status, json.loads(lines[0]), captured.err


def sync_cli(
    server: OParlServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any], str]:
    return run_cli(["sync", "--oparl", server.system_url, "--db", str(tmp_path / "ris.db"), "--json"], capsys)


def write_config(tmp_path: Path, url: str, **http: Any) -> Path:
    settings = {"rate_limit": 0, "backoff_initial": 0.01, "backoff_max": 0.05, **http}
    lines = ["[[source]]", 'name = "musterstadt"', 'adapter = "oparl"', f'url = "{url}"', "[source.http]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / "ris.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def warning_codes(report: dict[str, Any]) -> set[str]:
    return {w["code"] for w in report["warnings"]}


# Row 16: invalid JSON because of raw control characters is repaired, counted, and the run completes.
def test_control_characters_repaired(
    oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = oparl_server(scale=0.005, quirks=["control_chars"])
    status, report, _ = sync_cli(server, tmp_path, capsys)
    assert status == 0
    assert report["status"] == "complete"
    assert report["control_characters_removed"] > 0
    assert "oparl-q16-control-characters" in warning_codes(report)
    assert report["counts"]["Paper"]["created"] == len(server.dataset.ids("Paper"))


def test_invalid_json(oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = oparl_server(scale=0.005, quirks=["invalid_json"])
    status, report, err = sync_cli(server, tmp_path, capsys)
    assert status == 3
    assert report["status"] == "incomplete"
    assert any("invalid JSON" in e and "/bodies" in e for e in report["errors"])
    assert "invalid JSON" in err


def test_html_where_json_was_expected(
    oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = oparl_server(scale=0.005, quirks=["html_200"])
    status, report, err = sync_cli(server, tmp_path, capsys)
    assert status == 3
    assert any("HTML page with HTTP 200 where JSON was expected" in e and "/bodies" in e for e in report["errors"])
    assert "HTML page" in err


# Row 30: an Error object with HTTP 200 (more! rubin "OParl is not active.").
def test_error_object_with_http_200(
    oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = oparl_server(scale=0.005, quirks=["error_200"], vendor="rubin")
    status, report, _ = sync_cli(server, tmp_path, capsys)
    assert status == 3
    assert report["requests"] == 1
    # The message names the source (the host, for --oparl), what went wrong and the URL.
    assert report["errors"] == [
        f"[127.0.0.1] the server answered with an error object: OParl is not active. ({server.system_url})"
    ]


# Rows 33/34: a page linking to itself, the same page for every page number, next linking back.
@pytest.mark.parametrize(
    ("quirk", "code"),
    [("self_link", "pagination-loop"), ("same_page_loop", "pagination-repeat"), ("next_loop", "pagination-loop")],
)
def test_pagination_loops(
    oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str], quirk: str, code: str
) -> None:
    server = oparl_server(scale=0.005, quirks=[quirk])
    status, report, _ = sync_cli(server, tmp_path, capsys)
    assert status == 0
    assert report["status"] == "complete"
    assert code in warning_codes(report)
    assert "no-absence-deletes" in warning_codes(report)  # an irregular list must not delete anything
    assert report["requests"] < 100
    # The run after it is incremental and ends as well.
    status, again, _ = sync_cli(server, tmp_path, capsys)
    assert status == 0 and again["totals"]["deleted"] == 0


# Row 40: a server that does not answer in time ends the run with a timeout message, not a hang.
def test_server_times_out(oparl_server: OParlFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = oparl_server(scale=0.005, quirks=["slow"], slow_seconds=3)
    config = write_config(tmp_path, server.system_url, read_timeout=0.3, deadline=0.6, max_attempts=2)
    status, report, _ = run_cli(["sync", "--config", str(config), "--db", str(tmp_path / "ris.db"), "--json"], capsys)
    assert status == 3
    assert report["status"] == "incomplete"
    assert report["retries"] == 1
    message = " ".join(report["errors"]).lower()
    assert "time" in message and "/system" in message, report["errors"]
