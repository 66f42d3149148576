"""The HTTP layer against a real faulty server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ris_connector import errors
from ris_connector.http import HttpClient, HttpResponse, HttpSettings
from ris_connector.http.client import parse_retry_after
from ris_connector.http.ratelimit import RateLimiter, effective_rate
from ris_connector.http.urlpolicy import UrlPolicy, repair_url
from tests.http.conftest import FakeClock
from tests.support.faulty_server import FaultyServer

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "connect_timeout": 2.0, "read_timeout": 5.0}
SECRET = "s3cr3t-pa55word"


def make(server: FaultyServer, **overrides: Any) -> HttpClient:
    return HttpClient(server.base_url, HttpSettings(**{**FAST, **overrides}), source="test")


@pytest.fixture
def client(server: FaultyServer) -> Iterator[HttpClient]:
    with make(server) as c:
        yield c


# -- success, classification ----------------------------------------------------------------------


def test_get_json_and_user_agent(client: HttpClient, server: FaultyServer) -> None:
    response = client.get(server.url("/json"), params={"a": "b c"})
    assert isinstance(response, HttpResponse)
    assert response.status == 200
    assert response.content_type == "application/json"
    data = json.loads(response.text)
    assert data["query"] == "a=b+c"
    assert data["user_agent"].startswith("ris-connector/")
    assert response.url == server.url("/json?a=b+c")
    assert response.elapsed >= 0


def test_raw_query_sent_verbatim(client: HttpClient, server: FaultyServer) -> None:
    raw = "ids=1,2,3&since=2024-01-01T00:00:00+01:00&x=%41"
    response = client.get(server.url("/json"), raw_query=raw)
    assert '"query": "' + raw + '"' in response.text
    with pytest.raises(ValueError):
        client.get(server.url("/json"), params={"a": "b"}, raw_query="a=b")


def test_html_page_with_200_is_returned_as_html(client: HttpClient, server: FaultyServer) -> None:
    response = client.get(server.url("/html200"))
    assert response.content_type == "text/html"
    assert "Fehler" in response.text


@pytest.mark.parametrize("code", [404, 410])
def test_not_found(client: HttpClient, server: FaultyServer, code: int) -> None:
    with pytest.raises(errors.NotFound) as info:
        client.get(server.url(f"/status/{code}"))
    assert info.value.status == code
    assert str(code) in str(info.value) and f"/status/{code}" in str(info.value)
    assert info.value.source == "test"


def test_accept_status_returns_response(client: HttpClient, server: FaultyServer) -> None:
    response = client.get(server.url("/status/404"), accept_status=(404,))
    assert response.status == 404
    assert response.text == "status 404"


def test_other_4xx_is_http_status_error_with_body(client: HttpClient, server: FaultyServer) -> None:
    before = client.stats.requests
    with pytest.raises(errors.HttpStatusError) as info:
        client.get(server.url("/status/403"))
    assert not isinstance(info.value, errors.NotFound)
    assert info.value.status == 403 and info.value.body == b"status 403"
    assert client.stats.requests == before + 1  # not retried


# -- retries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_retries_after_5xx_burst(server: FaultyServer, token: str, status: int) -> None:
    with make(server) as client:
        response = client.get(server.url(f"/fail/{status}/3/{token}"))
        assert response.status == 200
        stats = client.stats
    assert stats.requests == 4 and stats.retries == 3
    assert stats.statuses == {status: 3, 200: 1}


def test_attempts_exhausted_raises_classified_error(server: FaultyServer, token: str) -> None:
    with make(server, max_attempts=3) as client, pytest.raises(errors.ServerError) as info:
        client.get(server.url(f"/fail/502/10/{token}"))
    assert info.value.status == 502
    assert server.hits(f"/fail/502/10/{token}") == 3


def test_retry_after_honoured(server: FaultyServer, token: str, clock: FakeClock) -> None:
    settings = HttpSettings(**FAST)
    with HttpClient(server.base_url, settings, sleep=clock.sleep) as client:
        assert client.get(server.url(f"/retry-after/7/{token}")).status == 200
    assert clock.sleeps == [7.0]


def test_retry_after_on_503_and_beyond_max_fails_at_once(server: FaultyServer, token: str, clock: FakeClock) -> None:
    settings = HttpSettings(**FAST, max_retry_after=2.0)
    with HttpClient(server.base_url, settings, sleep=clock.sleep) as client:
        with pytest.raises(errors.RateLimited, match="exceeds max_retry_after"):
            client.get(server.url(f"/retry-after-503/1000/{token}"))
        assert client.get(server.url(f"/retry-after-503/2/{token}x")).status == 200
    assert clock.sleeps == [2.0]


def test_rate_limited_exhausted(server: FaultyServer, token: str, clock: FakeClock) -> None:
    settings = HttpSettings(**FAST, max_attempts=1)
    client = HttpClient(server.base_url, settings, sleep=clock.sleep)
    with client, pytest.raises(errors.RateLimited) as info:
        client.get(server.url(f"/retry-after/5/{token}"))
    assert info.value.retry_after == 5.0


def test_parse_retry_after_http_date() -> None:
    from datetime import datetime, timezone

    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_connection_reset_is_retried(server: FaultyServer, token: str) -> None:
    with make(server) as client:
        assert client.get(server.url(f"/reset/2/{token}")).status == 200
        assert client.stats.retries == 2


def test_connection_reset_exhausted(server: FaultyServer) -> None:
    with make(server, max_attempts=2) as client, pytest.raises(errors.ConnectionFailed):
        client.get(server.url("/reset"))


# -- timeouts and limits --------------------------------------------------------------------------


def test_read_timeout(server: FaultyServer) -> None:
    started = time.monotonic()
    with make(server, read_timeout=0.3, max_attempts=2) as client:
        with pytest.raises(errors.RequestTimeout):
            client.get(server.url("/slow-headers/1.5"))
        assert client.stats.requests == 2
    assert time.monotonic() - started < 1.5


def test_total_deadline_on_trickled_body(server: FaultyServer) -> None:
    started = time.monotonic()
    client = make(server, read_timeout=2.0, deadline=0.5, max_attempts=1)
    with client, pytest.raises(errors.RequestTimeout, match="deadline"):
        client.get(server.url("/trickle/10/0.05/100000"))
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("path", ["/big/5000", "/big-chunked/5000"])
def test_response_too_large(server: FaultyServer, path: str) -> None:
    with make(server, max_bytes=4096) as client:
        with pytest.raises(errors.ResponseTooLarge):
            client.get(server.url(path))
        assert client.stats.requests == 1  # not retried
        assert len(client.get(server.url(path.replace("5000", "4096"))).content) == 4096


# -- redirects and URL policy ---------------------------------------------------------------------


def test_redirect_followed(client: HttpClient, server: FaultyServer) -> None:
    response = client.get(server.url("/redirect-chain/3"))
    assert response.url == server.url("/redirect-chain/0")


def test_redirect_loop(client: HttpClient, server: FaultyServer) -> None:
    with pytest.raises(errors.TooManyRedirects, match="loop"):
        client.get(server.url("/redirect-loop/2"))


def test_too_many_redirects(server: FaultyServer) -> None:
    with make(server, max_redirects=3) as client:
        with pytest.raises(errors.TooManyRedirects):
            client.get(server.url("/redirect-chain/4"))
        assert client.get(server.url("/redirect-chain/3")).status == 200


def test_redirect_to_other_host_refused(client: HttpClient, server: FaultyServer, other_server: FaultyServer) -> None:
    target = other_server.url("/json").replace("127.0.0.1", "localhost")
    with pytest.raises(errors.ForbiddenUrl, match="localhost"):
        client.get(server.url("/redirect/" + target))
    assert other_server.hits() == 0


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"])
def test_other_schemes_refused(client: HttpClient, url: str) -> None:
    before = client.stats.requests
    with pytest.raises(errors.ForbiddenUrl, match="scheme"):
        client.get(url)
    assert client.stats.requests == before


def public_policy(**settings: Any) -> UrlPolicy:
    table = {"ris.example.org": ["93.184.215.14"], "internal.example.org": ["10.1.2.3"]}
    return UrlPolicy(
        "https://ris.example.org/oparl/v1/system",
        HttpSettings(**settings),
        resolve=lambda host: table.get(host, []),
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/",
        "http://[::1]/",
    ],
)
def test_private_addresses_refused_from_public_home(url: str) -> None:
    with pytest.raises(errors.ForbiddenUrl):
        public_policy().check(url)
    allowed = ("127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "[::1]")
    policy = public_policy(allowed_hosts=allowed)
    assert policy.block_private
    with pytest.raises(errors.ForbiddenUrl, match="private"):
        policy.check(url)
    public_policy(allowed_hosts=allowed, block_private_addresses=False).check(url)


def test_private_addresses_allowed_from_private_home() -> None:
    policy = UrlPolicy("http://127.0.0.1:8080/", HttpSettings(allowed_hosts=("10.0.0.1",)))
    assert not policy.block_private
    policy.check("http://10.0.0.1/x")


def test_wildcard_allowed_hosts() -> None:
    policy = public_policy(allowed_hosts=("*.example.org", "files.example.net"))
    policy.check("https://RIS.example.org./paper/1")
    policy.check("https://www.example.org/a")
    policy.check("https://a.b.example.org/a")
    policy.check("http://FILES.example.net/a.pdf")
    for bad in ("https://example.org.evil.com/", "https://evilexample.org/", "https://x.example.net/"):
        with pytest.raises(errors.ForbiddenUrl):
            policy.check(bad)
    with pytest.raises(errors.ForbiddenUrl, match="private"):
        policy.check("https://internal.example.org/")


def test_repair_url() -> None:
    assert repair_url("https://x.org/files/a b.pdf") == "https://x.org/files/a%20b.pdf"
    assert repair_url("https://x.org/a|b?q=1|2") == "https://x.org/a%7Cb?q=1%7C2"
    assert repair_url("https://x.org/a%20b%zz/ä") == "https://x.org/a%20b%25zz/%C3%A4"
    assert repair_url("https://x.org/ok?a=1&b=%2F#frag") == "https://x.org/ok?a=1&b=%2F#frag"


# -- credentials, logging, stats, concurrency -----------------------------------------------------


def test_password_never_leaks(server: FaultyServer, token: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = HttpSettings(**FAST, max_attempts=2, username="alice", password=SECRET)
    encoded = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    assert SECRET not in repr(settings) and SECRET not in str(settings)
    messages = []
    with HttpClient(server.base_url, settings) as client:
        assert '"authorization": true' in client.get(server.url("/json")).text
        for path in ("/status/404", f"/fail/500/5/{token}"):
            with pytest.raises(errors.SourceError) as info:
                client.get(server.url(path))
            messages.append(str(info.value) + repr(info.value))
        with pytest.raises(errors.NotFound) as info:
            client.get(f"http://bob:{SECRET}@{server.base_url[7:]}/status/404")
        messages.append(str(info.value) + repr(info.value))
    assert "WARNING" in caplog.text and "GET" in caplog.text
    for text in [caplog.text, *messages]:
        assert SECRET not in text and encoded not in text


def test_rate_limit_spacing_with_fake_clock(server: FaultyServer, clock: FakeClock) -> None:
    settings = HttpSettings(**FAST, rate_limit=2.0)
    with HttpClient(server.base_url, settings, sleep=clock.sleep, monotonic=clock.monotonic) as client:
        for _ in range(3):
            client.get(server.url("/json"))
    assert clock.sleeps == [0.5, 0.5]


def test_loopback_is_not_rate_limited_by_default(server: FaultyServer, clock: FakeClock) -> None:
    with HttpClient(server.base_url, HttpSettings(**FAST), sleep=clock.sleep) as client:
        for _ in range(3):
            client.get(server.url("/json"))
    assert clock.sleeps == []
    assert effective_rate("ris.example.org", None) == 2.0
    assert effective_rate("localhost", None) == 0.0 and effective_rate("::1", None) == 0.0
    assert effective_rate("127.0.0.1", 5.0) == 5.0


def test_rate_limiter_per_host() -> None:
    clock = FakeClock()
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    assert [limiter.wait("a", 4.0) for _ in range(3)] == [0.0, 0.25, 0.25]
    assert limiter.wait("b", 4.0) == 0.0
    assert limiter.wait("a", 0) == 0.0


def test_concurrency_capped_per_host(token: str) -> None:
    with FaultyServer() as server, make(server, max_connections=2) as client:
        threads = [threading.Thread(target=client.get, args=(server.url("/slow-headers/0.1"),)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert server.max_in_flight == 2
        assert client.stats.requests == 8 and client.stats.statuses == {200: 8}


# -- proxies from the environment ----------------------------------------------------------------


def test_environment_proxies_hold_per_origin_for_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY and NO_PROXY are honoured on every request and per origin (the client reads the
    environment once per origin): the home server in NO_PROXY is asked directly, another
    allowed host goes through the proxy, in either order and again."""
    from ris_connector.testing import LocalServer, Reply

    def via_proxy(request: Any) -> Reply:
        return Reply.json({"via": "proxy", "target": request.target})

    with (
        LocalServer(fallback=via_proxy) as proxy,
        LocalServer(routes={"/direct": Reply.json({"via": "direct"})}) as home,
    ):
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.setenv(name, "127.0.0.1")
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("http_proxy", proxy.base_url)
        settings = HttpSettings(**FAST, allowed_hosts=("ris.invalid",))
        with HttpClient(home.base_url, settings, source="test") as client:
            for _ in range(2):
                assert json.loads(client.get(home.url("/direct")).text) == {"via": "direct"}
                answer = json.loads(client.get("http://ris.invalid/oparl/body/1").text)
                assert answer == {"via": "proxy", "target": "http://ris.invalid/oparl/body/1"}
        assert proxy.hits("http://ris.invalid/oparl/body/1") == 2
        assert home.hits("/direct") == 2
