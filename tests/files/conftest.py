"""Fixtures for the document mirror tests: a real file server on 127.0.0.1 and File records in a store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from ris_connector.models import File
from ris_connector.store import SQLiteStore
from tests.support.file_server import FileServer, put_files


@pytest.fixture
def files_server() -> Iterator[FileServer]:
    with FileServer() as srv:
        yield srv


@pytest.fixture
def add_file(store: SQLiteStore, files_server: FileServer) -> Callable[..., File]:
    """``add_file(n, download="/files/n.pdf", **fields)``: a File record whose id is on the file server."""

    def make(n: int, download: str | None = None, access: str | None = None, **fields: Any) -> File:
        fields.setdefault("mime_type", "application/pdf")
        fields.setdefault("modified", datetime(2024, 5, 1, tzinfo=timezone.utc))
        record = File(
            id=files_server.url(f"/oparl/files/{n}"),
            download_url=files_server.url(download) if download else None,
            access_url=files_server.url(access) if access else None,
            **fields,
        )
        put_files(store, [record])
        return record

    return make
