"""``LocalServer`` and its fault vocabulary, seen from the core's HTTP client: what each fault
does to a real client, so tests that use them can rely on it."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from ris_connector import errors
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.testing import (
    LocalServer,
    Reply,
    Request,
    delay,
    drop,
    redirect,
    sequence,
    serve_bytes,
    serve_files,
    serve_json,
    status,
    truncate,
)
from ris_connector.testing.server import chunks_of

FAST = {"backoff_initial": 0.01, "backoff_max": 0.02, "max_attempts": 2, "read_timeout": 0.5, "deadline": 10}


def _client(server: LocalServer, **settings: object) -> HttpClient:
    return HttpClient(server.url("/"), HttpSettings(**{**FAST, **settings}), source="local-server-test")


def test_routes_answer_json_bytes_and_functions_and_record_every_request() -> None:
    routes: dict[str | re.Pattern[str], Any] = {
        "/data": {"a": [1, "ü"]},
        "/echo": lambda r: {"q": r.query, "m": r.method},
        re.compile(r"/n/(\d+)"): lambda r: int(r.match[1]),
    }
    with serve_json(routes) as server, _client(server) as client:
        assert client.get(server.url("/data")).content == '{"a": [1, "ü"]}'.encode()
        assert requests.get(server.url("/echo?x=1&x=2"), timeout=5).json() == {"q": {"x": "1"}, "m": "GET"}
        assert client.get(server.url("/n/42")).content == b"42"
        with pytest.raises(errors.NotFound):
            client.get(server.url("/missing"))
        assert requests.post(server.url("/echo"), data=b"body", timeout=5).json()["m"] == "POST"
    assert [r.target for r in server.requests] == ["/data", "/echo?x=1&x=2", "/n/42", "/missing", "/echo"]
    assert server.requests[-1].body == b"body" and server.hits("/echo") == 2
    assert [s.status for s in server.answered] == [200, 200, 200, 404, 200]


def test_status_and_sequence_let_a_route_fail_then_succeed() -> None:
    with serve_json({"/flaky": sequence(status(503), status(429, Retry_After="0"), {"ok": True})}) as server:
        with _client(server, max_attempts=3) as client:
            assert client.get(server.url("/flaky")).content == b'{"ok": true}'
        assert [s.status for s in server.answered] == [503, 429, 200]


def test_delay_is_a_read_timeout_for_a_client_that_waits_less() -> None:
    with serve_json({"/slow": delay(1.5)}) as server, _client(server, max_attempts=1) as client:
        started = time.monotonic()
        with pytest.raises(errors.RequestTimeout):
            client.get(server.url("/slow"))
        assert time.monotonic() - started < 30


def test_drop_and_truncate_break_the_connection() -> None:
    page = Reply.json({"items": list(range(100))})
    with serve_json({"/drop": drop(), "/cut": truncate(page, 10)}) as server, _client(server, max_attempts=1) as client:
        with pytest.raises(errors.ConnectionFailed):
            client.get(server.url("/drop"))
        with pytest.raises(errors.ConnectionFailed):
            client.get(server.url("/cut"))
    cut = [s for s in server.answered if s.request.path == "/cut"]
    assert cut[0].sent == 10


def test_redirects_chunked_and_paced_bodies_and_head() -> None:
    data = bytes(range(256)) * 300
    routes: dict[str | re.Pattern[str], bytes | Reply | Callable[[Request], Reply]] = {
        "/old": redirect("/new"),
        "/new": b"moved here",
        "/chunked": lambda r: Reply(200, chunks_of(data, 4096)),
        "/paced": Reply(200, b"x" * 40, pace=(10, 0.01)),
    }
    with serve_bytes(routes) as server, _client(server) as client:
        assert client.get(server.url("/old")).content == b"moved here"
        assert client.get(server.url("/chunked")).content == data
        assert client.get(server.url("/paced")).content == b"x" * 40
        head = requests.head(server.url("/new"), timeout=5)
        assert head.status_code == 200 and head.headers["Content-Length"] == "10" and head.content == b""
    assert server.sent("/chunked") == len(data)


def test_serve_files_answers_files_below_its_directory_only(tmp_path: Path) -> None:
    (tmp_path / "feed.ics").write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    (tmp_path.parent / "secret.txt").write_text("no")
    with serve_files(tmp_path) as server:
        ok = requests.get(server.url("/feed.ics"), timeout=5)
        outside = requests.get(server.url("/../secret.txt"), timeout=5)
    assert ok.headers["Content-Type"].startswith("text/calendar") and ok.content.startswith(b"BEGIN")
    assert outside.status_code == 404


def test_a_failing_handler_answers_500_naming_the_error() -> None:
    with serve_json({"/bug": lambda r: 1 / 0}) as server:
        answer = requests.get(server.url("/bug"), timeout=5)
    assert answer.status_code == 500 and answer.text == "ZeroDivisionError: division by zero"


def test_ipv6() -> None:
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with serve_json({"/x": {"ok": 1}}, host="::1") as server:
        assert server.base_url.startswith("http://[::1]:")
        assert requests.get(server.url("/x"), timeout=5).json() == {"ok": 1}


def test_raw_replies_are_sent_byte_for_byte() -> None:
    lying = Reply(raw=b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort")
    odd = Reply(raw=b"HTTP/1.1 299 Fine\r\nContent-Length: 2\r\nX-Name: M\xfcller\r\n\r\nok")
    with serve_bytes({"/lying": lying, "/odd": odd}) as server, _client(server, max_attempts=1) as client:
        with pytest.raises(errors.ConnectionFailed):
            client.get(server.url("/lying"))
        answer = requests.get(server.url("/odd"), timeout=5)
    assert (answer.status_code, answer.reason, answer.content) == (299, "Fine", b"ok")
    assert answer.headers["X-Name"] == "M\xfcller"
