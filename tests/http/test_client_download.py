"""HttpClient.download: streaming bodies into a file with the same policy as get (real server)."""

from __future__ import annotations

import json
import tempfile
from typing import Any

import pytest

from ris_connector import errors
from ris_connector.http import HttpClient, HttpSettings
from tests.support.faulty_server import FaultyServer

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "connect_timeout": 2.0, "read_timeout": 5.0}


def make(server: FaultyServer, **overrides: Any) -> HttpClient:
    return HttpClient(server.base_url, HttpSettings(**{**FAST, **overrides}), source="test")


def test_download_streams_body_into_file(server: FaultyServer) -> None:
    with make(server) as client, tempfile.TemporaryFile() as sink:
        before = client.stats.bytes
        response = client.download(server.url("/big/300000"), sink)
        assert response.status == 200 and response.content == b""
        assert sink.tell() == 300000
        sink.seek(0)
        assert sink.read() == b"x" * 300000
        assert client.stats.bytes - before == 300000


def test_download_size_limit_without_content_length(server: FaultyServer) -> None:
    with make(server, max_bytes=50000) as client, tempfile.TemporaryFile() as sink:
        with pytest.raises(errors.ResponseTooLarge):
            client.download(server.url("/big-chunked/200000"), sink)
        assert sink.tell() <= 50000 + 64 * 1024


def test_download_size_limit_by_content_length_writes_nothing(server: FaultyServer) -> None:
    with make(server, max_bytes=1000) as client, tempfile.TemporaryFile() as sink:
        with pytest.raises(errors.ResponseTooLarge):
            client.download(server.url("/big/5000"), sink)
        assert sink.tell() == 0


def test_download_retry_leaves_one_complete_body(server: FaultyServer, token: str) -> None:
    """The first attempt breaks off after 100 bytes; the sink must not keep them."""
    with make(server) as client, tempfile.TemporaryFile() as sink:
        response = client.download(server.url(f"/reset/1/{token}"), sink)
        assert response.status == 200
        sink.seek(0)
        assert json.loads(sink.read()) == {"ok": True}
        assert client.stats.retries == 1


def test_download_not_found_and_forbidden_host(server: FaultyServer) -> None:
    with make(server) as client, tempfile.TemporaryFile() as sink:
        with pytest.raises(errors.NotFound):
            client.download(server.url("/status/404"), sink)
        with pytest.raises(errors.ForbiddenUrl):
            client.download("http://elsewhere.example/file.pdf", sink)
        assert sink.tell() == 0
