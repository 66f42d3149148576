"""Fixtures of the security tests: real servers on 127.0.0.1 (two ports), ::1, and over TLS."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.support.faulty_server import FaultyServer


@pytest.fixture
def home() -> Iterator[FaultyServer]:
    """The source's own server (127.0.0.1, one port)."""
    with FaultyServer() as srv:
        yield srv


@pytest.fixture
def other_port() -> Iterator[FaultyServer]:
    """A second server on the same host, another port."""
    with FaultyServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def tls_home(tls_files: tuple[str, str]) -> Iterator[FaultyServer]:
    """The source's own server over HTTPS."""
    with FaultyServer(tls=tls_files) as srv:
        yield srv
