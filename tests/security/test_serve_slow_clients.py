"""Promise: ``ris-connector serve`` answers everyone while clients hold connections open without
sending a request (idle) or send their headers a byte a second (slowloris). A real ``serve``
process on 127.0.0.1 and real sockets; the bounds are generous (this is a hang check, the
latencies are measured by ``bench/serve_load.py``)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from ris_connector.store import SQLiteStore
from tests.support.slowclients import SlowClients, load, serve_process


def _empty_store(tmp_path: Path) -> Path:
    db = tmp_path / "ris.db"
    SQLiteStore(db).close()
    return db


def test_idle_and_slowloris_clients_stall_nobody(tmp_path: Path) -> None:
    with serve_process(_empty_store(tmp_path)) as base:
        parts = urlsplit(base)
        assert parts.hostname is not None and parts.port is not None
        with SlowClients(parts.hostname, parts.port, idle=50, slowloris=50) as slow:
            time.sleep(1.5)  # every slow client has sent something, the idle ones nothing
            result = load(f"{base}/system", 200, workers=4, timeout=10)
            held = slow.open_count()
    assert result.ok == 200, f"{result.ok} of 200 requests answered; {result.failed} failed: {result.errors}"
    assert result.elapsed < 60
    assert slow.sent >= 50 and held == 100, "the slow clients were not held open while the requests ran"


def test_silent_connections_are_closed_after_the_channel_timeout(tmp_path: Path) -> None:
    with serve_process(_empty_store(tmp_path), "--channel-timeout", "2") as base:
        parts = urlsplit(base)
        assert parts.hostname is not None and parts.port is not None
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            started = time.monotonic()
            assert sock.recv(1) == b""  # the server closed the connection
            waited = time.monotonic() - started
    assert 1.0 <= waited < 30
