"""Promise: a number or name that cannot be meant is a usage error (exit 2), never a traceback.

Every CLI number has a range; every numeric setting (core, HTTP, adapter options) rejects
values outside what it can mean: a negative ``overlap`` asked the service for an empty window
and missed every change, ``connect_timeout = 1e300`` overflowed the socket layer, huge CLI
numbers ended in OverflowError tracebacks. Names are matched whole: ``bonn\\n`` is no source
name and ``new-adapter`` refuses ``name\\n`` instead of writing a broken package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ris_connector.cli import main


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        status = main(args)
    except SystemExit as exc:  # argparse's usage errors
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["changes", "--after", "9" * 30],
        ["serve", "--port", "70000"],
        ["demo", "--scale", "nan"],
        ["smartvillage", "--days", "9" * 20],
        ["push", "--url", "http://127.0.0.1:1/", "--limit", "-1"],
        ["files", "--max-size", "1e9"],
    ],
    ids=lambda a: f"{a[0]} {a[-2]}",
)
def test_cli_numbers_out_of_range_are_usage_errors(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _main([*args, "--db", str(tmp_path / "ris.db")], capsys)
    assert status == 2, err
    assert "Traceback" not in err and f"argument {args[-2]}" in err


SOURCE = '[[source]]\nname = "s"\nadapter = "oparl"\nurl = "http://127.0.0.1:1/oparl/system"\n'


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ('overlap = "-1h"', "overlap"),
        ("overlap = -3600", "overlap"),
        ("batch_size = 0", "batch_size"),
        ("max_delete_fraction = 1.5", "max_delete_fraction"),
        ('full_sync_every = "99999999999999999999w"', "full_sync_every"),
        ("max_individual_fetches = -1", "max_individual_fetches"),
        ("page_limit = 0", "page_limit"),
        ("[source.http]\nconnect_timeout = 1e300", "http.connect_timeout"),
        ("[source.http]\ndeadline = inf", "http.deadline"),
        ("[source.http]\nmax_attempts = 0", "http.max_attempts"),
        ('[source.http]\nallowed_hosts = ["files.example.org:70000"]', "http.allowed_hosts"),
        ('[source.http]\nuser_agent = "ris\\r\\nX-Injected: 1"', "http.user_agent"),
    ],
)
def test_numeric_settings_out_of_range_are_configuration_errors(
    setting: str, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(SOURCE + setting + "\n", encoding="utf-8")
    status, err = _main(["sync", "--config", str(config), "--db", str(tmp_path / "ris.db")], capsys)
    assert status == 2, err
    assert "configuration error" in err and named in err and "Traceback" not in err


def test_ics_recurrence_window_must_not_be_negative(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(
        '[[source]]\nname = "k"\nadapter = "ics"\nurl = "http://127.0.0.1:1/k.ics"\nrecurrence_past = -86400\n',
        encoding="utf-8",
    )
    status, err = _main(["sync", "--config", str(config), "--db", str(tmp_path / "ris.db")], capsys)
    assert status == 2 and "recurrence_past" in err


def test_a_name_with_a_trailing_newline_is_no_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(SOURCE.replace('name = "s"', 'name = "bonn\\n"'), encoding="utf-8")
    status, err = _main(["sync", "--config", str(config), "--db", str(tmp_path / "ris.db")], capsys)
    assert status == 2 and "name" in err

    status, err = _main(["new-adapter", "stadtrat\n", "--dir", str(tmp_path / "pkg")], capsys)
    assert status == 2, err
    assert not (tmp_path / "pkg").exists() or not any((tmp_path / "pkg").iterdir())
