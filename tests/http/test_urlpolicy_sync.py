"""A source's JSON cannot make the client fetch other hosts, other schemes or private addresses.

End to end through syncs against local servers; the public-source case (a public RIS whose
links point into the private network) needs public DNS, which this machine lacks, so it is
tested at the policy level with a resolver stub standing in for DNS.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ris_connector.errors import ForbiddenUrl
from ris_connector.http import HttpSettings
from ris_connector.http.urlpolicy import UrlPolicy
from ris_connector.sample.server import OParlServer
from ris_connector.store import Store
from tests.support.faulty_oparl import inject
from tests.support.faulty_server import FaultyServer
from tests.support.ristest import OParlFactory, sync


@pytest.fixture
def foreign() -> Iterator[FaultyServer]:
    """Another server, addressed as ``localhost``: a host the source did not allow."""
    with FaultyServer() as server:
        yield server


def _foreign_url(server: FaultyServer, path: str) -> str:
    return server.url(path).replace("127.0.0.1", "localhost")


def test_references_to_other_hosts_and_schemes_are_refused(
    oparl_server: OParlFactory, any_store: Store, foreign: FaultyServer
) -> None:
    server: OParlServer = oparl_server(scale=0.003)
    meeting = server.dataset.ids("Meeting")[0]
    evil = [_foreign_url(foreign, "/json"), "file:///etc/passwd", "gopher://127.0.0.1:70/x"]
    organizations = list(server.dataset.get(meeting).get("organization") or [])
    server.dataset.update(meeting, organization=organizations + evil)

    report = sync(server, any_store)
    assert report.complete
    assert foreign.hits() == 0  # never contacted
    missing = {m["id"]: m["reason"] for m in any_store.missing_references("test")}
    assert "host 'localhost' not allowed" in missing[_foreign_url(foreign, "/json")]
    # Non-http(s) links are not even references: the normalizer drops them with a notice,
    # and nothing was requested for them.
    assert not any(i.startswith(("file:", "gopher:")) for i in missing)
    stored = any_store.get(meeting)
    assert stored is not None
    assert not any(str(v).startswith(("file:", "gopher:")) for v in stored.data.get("organization", []))


@pytest.mark.parametrize("how", ["redirect_to", "next_to"])
def test_next_link_or_redirect_to_another_host_ends_the_run_with_a_clear_error(
    how: str, oparl_server: OParlFactory, any_store: Store, foreign: FaultyServer
) -> None:
    server: OParlServer = oparl_server(scale=0.003)
    inject(server, "papers?page=2" if how == "redirect_to" else "/papers", how, target=_foreign_url(foreign, "/json"))
    report = sync(server, any_store)
    assert report.status == "incomplete"
    assert report.errors[0].startswith("[test] refusing http://localhost:"), report.errors
    assert "host 'localhost' not allowed" in report.errors[0]
    assert foreign.hits() == 0
    assert "paper" not in {s.split("|", 1)[1] for s in any_store.stream_states("test")}


def test_public_source_may_not_reach_private_addresses() -> None:
    """Policy level, DNS stubbed: a public home host never reaches loopback, private or link-local."""
    dns = {
        "ris.stadt.de": ["93.184.216.34"],
        "files.stadt.de": ["10.1.2.3"],  # allowed by name, but resolves into the private network
        "img.cdn.de": ["93.184.216.35"],
        "meta.cdn.de": ["169.254.169.254"],  # cloud metadata endpoint
        "dual.cdn.de": ["93.184.216.36", "192.168.0.7"],  # any private address is enough
    }
    settings = HttpSettings(allowed_hosts=("files.stadt.de", "*.cdn.de", "10.0.0.8"))
    policy = UrlPolicy(
        "https://ris.stadt.de/oparl/v1.1/system", settings, source="stadt", resolve=lambda h: dns.get(h, [])
    )
    assert policy.block_private
    policy.check("https://ris.stadt.de/oparl/v1.1/papers/1")
    policy.check("https://img.cdn.de/logo.png")
    refused = {
        "https://files.stadt.de/a.pdf": "private or loopback",
        "https://meta.cdn.de/latest/meta-data": "private or loopback",
        "https://dual.cdn.de/x": "private or loopback",
        "http://10.0.0.8/admin": "private or loopback",
        "http://127.0.0.1:8080/": "not allowed",
        "http://localhost/": "not allowed",
        "http://[::ffff:10.0.0.1]/": "not allowed",
        "https://evil.example/": "not allowed",
        "file:///etc/passwd": "scheme 'file' not allowed",
        "ftp://ris.stadt.de/x": "scheme 'ftp' not allowed",
        "javascript:alert(1)": "scheme 'javascript' not allowed",
    }
    for url, why in refused.items():
        with pytest.raises(ForbiddenUrl, match=why) as info:
            policy.check(url)
        assert str(info.value).startswith("[stadt] refusing")
    # A local (private) home, like every test server here, may use its own address.
    local = UrlPolicy("http://127.0.0.1:8000/oparl/system", HttpSettings(), resolve=lambda h: dns.get(h, []))
    assert not local.block_private
    local.check("http://127.0.0.1:8000/oparl/papers")
