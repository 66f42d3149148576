"""Shared fixtures: a real OParl server on 127.0.0.1, a real SQLite file, a sync helper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore, Store, open_store
from tests.support.opsdata import populate
from tests.support.ristest import OParlFactory

# Property tests check behaviour, never time: on a loaded CI machine an example may take longer
# than hypothesis's default 200 ms deadline, which it reports as a failure.
settings.register_profile("ris", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ris")


@pytest.fixture
def oparl_server() -> Iterator[OParlFactory]:
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


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty store, once per back-end (PostgreSQL: a fresh schema)."""
    from tests.support.storetest import store_url_for

    with store_url_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def any_store(store_url: str) -> Iterator[Store]:
    """A fresh store of each back-end (SQLite file, PostgreSQL schema)."""
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def ops_store(tmp_path: Path, oparl_server: OParlFactory) -> Iterator[SQLiteStore]:
    """The store of the operator-view tests (metrics, status page): see ``tests.support.opsdata``."""
    store = SQLiteStore(tmp_path / "ops.db")
    populate(store, oparl_server(scale=0.003))
    yield store
    store.close()
