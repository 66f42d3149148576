"""Promise: a source at an IPv6 literal (``http://[::1]:8080/oparl``) works like any other.

Its brackets stay everywhere: canonical ids, the URL policy, the Host header, the credential
origin and the URLs shown in errors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from ris_connector import errors
from ris_connector.errors import redact_url
from ris_connector.http import HttpClient, HttpSettings
from ris_connector.normalize.ids import canonical_url
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from tests.support.faulty_server import FaultyServer
from tests.support.ristest import sync


@pytest.fixture
def v6() -> Iterator[FaultyServer]:
    with FaultyServer(host="::1") as srv:
        yield srv


def test_oparl_source_on_an_ipv6_literal_syncs_with_bracketed_ids(store: SQLiteStore) -> None:
    server = OParlServer(host="::1", scale=0.003).start()
    try:
        assert server.system_url.startswith("http://[::1]:")
        report = sync(server, store)
    finally:
        server.stop()
    assert report.complete, report.errors
    assert report.total("created") > 100 and report.missing_references == 0
    ids = [row.id for row in store.iter_rows()]
    assert all(i.startswith("http://[::1]:") for i in ids), ids[:3]


def test_ipv6_origin_gets_its_credentials_and_a_bracketed_host_header(v6: FaultyServer) -> None:
    settings = HttpSettings(username="ris", password="pw-v6", max_attempts=1)
    with HttpClient(v6.base_url + "/oparl", settings) as client:
        assert json.loads(client.get(v6.url("/json")).content)["authorization"] is True
        with pytest.raises(errors.NotFound) as info:
            client.get(v6.url("/status/404"))
    sent = v6.requests[0].headers
    assert sent["Host"] == v6.base_url.removeprefix("http://")
    assert sent["Authorization"] == "Basic " + base64.b64encode(b"ris:pw-v6").decode()
    assert v6.base_url + "/status/404" in str(info.value)


def test_ipv6_urls_keep_their_brackets_in_ids_and_messages() -> None:
    assert canonical_url("HTTP://[::1]:8080/oparl/system/") == "http://[::1]:8080/oparl/system"
    assert canonical_url("http://[2001:db8::1]:80/x", scheme_for={"2001:db8::1": "https"}) == "https://[2001:db8::1]/x"
    assert redact_url("http://ris:secret@[::1]:8080/x?pwd=1") == "http://***@[::1]:8080/x?pwd=***"
