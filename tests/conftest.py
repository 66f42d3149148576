"""Shared fixtures: a real OParl server on 127.0.0.1, a real SQLite file, a sync helper."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore

sys.path.insert(0, str(Path(__file__).parent / "support"))


@pytest.fixture
def oparl_server() -> Iterator[Callable[..., OParlServer]]:
    """Factory: ``oparl_server(version="1.1", quirks=[...], scale=0.01)`` started on 127.0.0.1."""
    servers: list[OParlServer] = []

    def start(**kwargs: Any) -> OParlServer:
        kwargs.setdefault("scale", 0.01)
        server = OParlServer(**kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A fresh SQLite file store."""
    s = SQLiteStore(tmp_path / "ris.db")
    yield s
    s.close()
