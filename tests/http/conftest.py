"""Fixtures for the HTTP tests: a real faulty server on 127.0.0.1 and a fake clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.faulty_server import FaultyServer


class FakeClock:
    """A monotonic clock that only moves when ``sleep`` is called; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="session")
def server() -> Iterator[FaultyServer]:
    with FaultyServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def other_server() -> Iterator[FaultyServer]:
    """A second server, reached as ``localhost`` - a different host name than the first."""
    with FaultyServer() as srv:
        yield srv


@pytest.fixture
def token() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
