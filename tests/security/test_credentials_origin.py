"""Promise: credentials belong to the origin (scheme, host, port) of the configured URL.

Basic credentials, bearer tokens, SOAP Basic auth and the WS-Security UsernameToken go only to
that origin; a redirect chain that leaves it carries none for the rest of the way, so nothing is
ever sent over ``http`` for a source configured with ``https``. On the home host only the
configured port may be fetched unless ``allowed_hosts`` names another (``host:port``); references
and ``next`` links to other ports are refused like foreign hosts.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import pytest

from ris_connector import errors
from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.http.urlpolicy import UrlPolicy
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.faulty_oparl import inject
from tests.support.faulty_server import FaultyServer
from tests.support.ristest import sync
from tests.support.soap_server import SoapServer

SECRET = "Pa55-origin-only"
BASIC = "Basic " + base64.b64encode(f"ris:{SECRET}".encode()).decode()
FAST: dict[str, Any] = {"backoff_initial": 0.01, "backoff_max": 0.05, "connect_timeout": 2.0, "read_timeout": 5.0}


def _via_redirect(server: FaultyServer, target: str) -> str:
    return server.url("/redirect/" + quote(target, safe=""))


def _port(server: FaultyServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def _authorizations(server: FaultyServer) -> list[str | None]:
    return [r.headers.get("Authorization") for r in server.requests]


def test_https_source_redirected_to_http_on_another_port_sends_no_credentials(
    tls_home: FaultyServer, other_port: FaultyServer, tls_files: tuple[str, str]
) -> None:
    """The issue's case: an HTTPS source redirects to ``http://same-host:other-port/``."""
    settings = HttpSettings(
        **FAST,
        username="ris",
        password=SECRET,
        verify=tls_files[0],
        allowed_hosts=(f"127.0.0.1:{_port(other_port)}",),  # allowed, so the hop is made: without credentials
    )
    with HttpClient(tls_home.base_url, settings) as client:
        response = client.get(_via_redirect(tls_home, other_port.url("/json")))
    assert response.url == other_port.url("/json")
    assert _authorizations(tls_home) == [BASIC]
    assert _authorizations(other_port) == [None]


def test_redirect_to_another_port_of_the_home_host_is_refused(home: FaultyServer, other_port: FaultyServer) -> None:
    refused = f"port {_port(other_port)} of the home host not allowed"
    settings = HttpSettings(**FAST, username="ris", password=SECRET)
    with HttpClient(home.base_url, settings) as client, pytest.raises(errors.ForbiddenUrl, match=refused):
        client.get(_via_redirect(home, other_port.url("/json")))
    assert other_port.hits() == 0


def test_a_chain_that_left_the_origin_carries_no_credentials_even_back_home(
    home: FaultyServer, other_port: FaultyServer
) -> None:
    settings = HttpSettings(**FAST, token="tok-" + SECRET, allowed_hosts=(f"127.0.0.1:{_port(other_port)}",))
    back_home = home.url("/json")
    with HttpClient(home.base_url, settings) as client:
        client.get(_via_redirect(home, _via_redirect(other_port, back_home)))
    assert _authorizations(home) == [f"Bearer tok-{SECRET}", None]
    assert _authorizations(other_port) == [None]


def test_credentials_reach_the_configured_origin_through_its_own_redirects(home: FaultyServer) -> None:
    with HttpClient(home.base_url, HttpSettings(**FAST, username="ris", password=SECRET)) as client:
        assert client.get(home.url("/redirect-chain/2")).status == 200
    assert _authorizations(home) == [BASIC] * 3


def test_allowed_hosts_entries_name_ports() -> None:
    resolve = {"ris.example.org": ["93.184.215.14"], "files.example.org": ["93.184.215.15"]}
    policy = UrlPolicy(
        "https://ris.example.org/oparl/v1/system",
        HttpSettings(allowed_hosts=("ris.example.org:8443", "files.example.org", "cdn.example.net:8080")),
        resolve=lambda host: resolve.get(host, []),
    )
    policy.check("https://ris.example.org/paper/1")
    policy.check("http://ris.example.org/paper/1")  # the other scheme's default port: allowed (no credentials)
    policy.check("https://ris.example.org:8443/paper/1")  # named with its port
    policy.check("https://files.example.org:9999/a.pdf")  # a bare foreign host: any port
    policy.check("http://cdn.example.net:8080/a.pdf")
    for bad in ("https://ris.example.org:8080/x", "https://ris.example.org:80/x", "http://cdn.example.net/a.pdf"):
        with pytest.raises(errors.ForbiddenUrl, match="port"):
            policy.check(bad)
    assert policy.same_origin("https://RIS.example.org:443/x")
    assert not policy.same_origin("http://ris.example.org/x")
    assert not policy.same_origin("https://ris.example.org:8443/x")
    with pytest.raises(errors.ConfigError):
        source_from_mapping({"name": "s", "adapter": "oparl", "url": "https://a/", "http": {"allowed_hosts": ["a:0"]}})


# -- whole syncs: references and next links --------------------------------------------------------


@pytest.fixture
def oparl(oparl_server: Any) -> OParlServer:
    server: OParlServer = oparl_server(scale=0.003)
    return server


def test_next_link_to_another_port_of_the_home_host_ends_the_run(
    oparl: OParlServer, other_port: FaultyServer, store: SQLiteStore
) -> None:
    inject(oparl, "/papers", "next_to", target=other_port.url("/json"))
    report = sync(oparl, store)
    assert report.status == "incomplete"
    assert f"port {_port(other_port)} of the home host not allowed" in report.errors[0], report.errors
    assert other_port.hits() == 0


def test_reference_to_another_port_of_the_home_host_is_missing_not_fetched(
    oparl: OParlServer, other_port: FaultyServer, store: SQLiteStore
) -> None:
    meeting = oparl.dataset.ids("Meeting")[0]
    elsewhere = other_port.url("/json")
    organizations = list(oparl.dataset.get(meeting).get("organization") or [])
    oparl.dataset.update(meeting, organization=[*organizations, elsewhere])
    report = sync(oparl, store)
    assert report.complete, report.errors
    missing = {m["id"]: m["reason"] for m in store.missing_references("test")}
    assert "of the home host not allowed" in missing[elsewhere]
    assert other_port.hits() == 0


# -- SOAP ----------------------------------------------------------------------------------------


@pytest.fixture
def elsewhere() -> Iterator[SoapServer]:
    """A SOAP endpoint on another port, named by the home server's WSDL."""
    server = SoapServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("kind", ["basic", "wsse"])
def test_soap_credentials_go_only_to_the_configured_origin(
    kind: str, elsewhere: SoapServer, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIS_SOAP_SECRET", SECRET)
    home = SoapServer(auth=(kind, "ris", SECRET), address=elsewhere.url).start()
    try:
        port = elsewhere.url.split(":")[2].split("/")[0]
        source = source_from_mapping(
            {
                "name": "sd",
                "adapter": "soap",
                "mapping": "sitzungsdienst",
                "url": home.wsdl_url,
                "auth": kind,
                "username": "ris",
                "password_env": "RIS_SOAP_SECRET",
                # The URL policy lets the call through; the credentials still stay home.
                "http": {**FAST, "max_attempts": 1, "allowed_hosts": [f"127.0.0.1:{port}"]},
            }
        )
        report = run_source(source, store, clock=FixedClock(datetime(2024, 4, 10, 8, 0, tzinfo=timezone.utc)))
    finally:
        home.stop()
    assert not any(SECRET.encode() in body for body in elsewhere.bodies)
    assert not any("Authorization" in headers for headers in elsewhere.seen_headers)
    assert elsewhere.bodies == []  # not even called: the run names the reason
    assert report.status == "incomplete"
    assert "refusing to send credentials" in report.errors[0] and "not the configured origin" in report.errors[0]
