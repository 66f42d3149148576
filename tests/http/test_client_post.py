"""HttpClient.post: the same policy, limits, retries and stats as GET, against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ris_connector import errors
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.testing import LocalServer, Reply, Request, delay, redirect, sequence, status

FAST = {"backoff_initial": 0.01, "backoff_max": 0.02, "connect_timeout": 2.0, "read_timeout": 5.0}


def echo(request: Request) -> Reply:
    return Reply(200, b"echo:" + request.body + b";ct=" + (request.header("Content-Type") or "").encode())


class _Server(LocalServer):
    def __init__(self) -> None:
        super().__init__(
            {
                "/flaky": sequence(status(503, "busy"), status(503, "busy"), echo),
                "/fault": status(500, "<Fault>no such meeting</Fault>"),
                "/slow": lambda r: delay(1.0, echo(r)),
                "/moved": redirect("/echo"),
                "/big": Reply(200, b"x" * 5000),
            },
            fallback=echo,
        )

    @property
    def base(self) -> str:
        return self.base_url

    @property
    def bodies(self) -> list[bytes]:
        return [r.body for r in self.requests]


@pytest.fixture
def srv() -> Iterator[_Server]:
    with _Server() as s:
        yield s


def _client(srv: _Server, **settings: Any) -> HttpClient:
    return HttpClient(srv.base + "/", HttpSettings(**{**FAST, **settings}), source="post-test")


def test_post_sends_body_and_headers_and_counts(srv: _Server) -> None:
    with _client(srv) as client:
        response = client.post(srv.base + "/echo", b"<Envelope/>", headers={"Content-Type": "text/xml"})
        assert response.content == b"echo:<Envelope/>;ct=text/xml"
        assert client.stats.requests == 1 and client.stats.bytes == len(response.content)


def test_post_retries_transient_faults(srv: _Server) -> None:
    with _client(srv) as client:
        assert client.post(srv.base + "/flaky", b"x").status == 200
        assert client.stats.retries == 2 and srv.hits("/flaky") == 3


def test_post_accepts_listed_status_without_retrying(srv: _Server) -> None:
    with _client(srv) as client:
        response = client.post(srv.base + "/fault", b"x", accept_status={500})
        assert response.status == 500 and b"no such meeting" in response.content
        assert srv.hits("/fault") == 1
        with pytest.raises(errors.ServerError):
            client.post(srv.base + "/fault", b"x")


def test_post_deadline_size_limit_hosts_and_redirects(srv: _Server) -> None:
    with _client(srv, read_timeout=0.2, max_attempts=2) as client, pytest.raises(errors.RequestTimeout):
        client.post(srv.base + "/slow", b"x")
    with _client(srv, max_bytes=1000) as client, pytest.raises(errors.ResponseTooLarge):
        client.post(srv.base + "/big", b"x")
    with _client(srv) as client:
        with pytest.raises(errors.ForbiddenUrl):
            client.post("http://example.org/soap", b"x")
        with pytest.raises(errors.SourceError, match="not followed"):
            client.post(srv.base + "/moved", b"x")
    assert srv.hits("/echo") == 0
