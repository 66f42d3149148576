"""The store of the operator-view tests (see ``opsdata``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from tests.support.opsdata import populate


@pytest.fixture
def ops_store(tmp_path: Path, oparl_server: type[OParlServer]) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "ops.db")
    populate(store, oparl_server(scale=0.003))
    yield store
    store.close()
