"""HttpClient.post: the same policy, limits, retries and stats as GET, against a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ris_connector import errors
from ris_connector.http import HttpClient, HttpSettings

FAST = {"backoff_initial": 0.01, "backoff_max": 0.02, "connect_timeout": 2.0, "read_timeout": 5.0}


class _Server:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.bodies.append(body)
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                if self.path == "/flaky" and outer.hits[self.path] <= 2:
                    return self._send(503, b"busy")
                if self.path == "/fault":
                    return self._send(500, b"<Fault>no such meeting</Fault>")
                if self.path == "/slow":
                    time.sleep(1.0)
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/echo")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if self.path == "/big":
                    return self._send(200, b"x" * 5000)
                return self._send(200, b"echo:" + body + b";ct=" + self.headers.get("Content-Type", "").encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def srv() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


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
        assert client.stats.retries == 2 and srv.hits["/flaky"] == 3


def test_post_accepts_listed_status_without_retrying(srv: _Server) -> None:
    with _client(srv) as client:
        response = client.post(srv.base + "/fault", b"x", accept_status={500})
        assert response.status == 500 and b"no such meeting" in response.content
        assert srv.hits["/fault"] == 1
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
    assert "/echo" not in srv.hits
