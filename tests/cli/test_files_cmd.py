"""``ris-connector files`` against the sample OParl server after a real sync (127.0.0.1, SQLite)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ris_connector.cli import main
from ris_connector.cli.files_cmd import parse_since
from ris_connector.errors import ConfigError
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from tests.support.ristest import sync


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` configures the ``ris_connector`` logger (no propagation); undo it for later tests."""
    logger = logging.getLogger("ris_connector")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_files_command_mirrors_a_synced_source(
    oparl_server: Callable[..., OParlServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = oparl_server(version="1.1", scale=0.003, quirks={"file_double_slash"})
    db = tmp_path / "ris.db"
    with SQLiteStore(db) as store:
        assert sync(server, store).complete
        file_ids = [row.id for row in store.iter_rows(type_name="File")]
        name = store.get(file_ids[0]).data["name"]
    assert file_ids
    args = ["files", "--db", str(db), "--dest", str(tmp_path / "files"), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checked"] == report["downloaded"] == len(file_ids)
    assert report["failed"] == 0
    assert not any("//" in r.path for r in server.requests)  # quirk 8 repaired before any request
    # the sample server sends no validators: the second run fetches, finds every file identical
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["downloaded"], again["unchanged"]) == (0, len(file_ids))
    # search by a word of the first file's name, which its PDF also shows
    word = max(name.split(), key=len)
    assert main(["files", "--db", str(db), "--dest", str(tmp_path / "files"), "--search", word]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert file_ids[0] in [h["id"] for h in hits]
    assert all(h["path"] and Path(h["path"]).is_file() for h in hits)


def test_files_command_human_report(
    oparl_server: Callable[..., OParlServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = oparl_server(version="1.1", scale=0.002)
    db = tmp_path / "ris.db"
    with SQLiteStore(db) as store:
        sync(server, store)
    config = tmp_path / "ris.toml"
    config.write_text(
        f'[[source]]\nname = "test"\nadapter = "oparl"\nurl = "{server.system_url}"\n'
        "[source.http]\nmax_attempts = 1\nconnect_timeout = 2\n",
        encoding="utf-8",
    )
    server.stop()  # the server is gone: every file fails, the command still completes
    args = ["files", "--db", str(db), "--config", str(config), "--dest", str(tmp_path / "f"), "--workers", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 downloaded" in out and "failed:connection-failed" in out


def test_parse_since() -> None:
    now = datetime(2024, 5, 8, 12, tzinfo=timezone.utc)
    assert parse_since("7d", now) == datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    assert parse_since("2024-05-01", now) == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert parse_since("2024-05-01T10:00:00+02:00", now).hour == 10
    with pytest.raises(ConfigError):
        parse_since("last week", now)
