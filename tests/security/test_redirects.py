"""Promise: a redirect is followed only where the URL policy allows, whatever its Location says.

German servers send ``Location`` headers in latin-1 (``/bi/sitzung_\\xfcbersicht.asp``); the
client asks for exactly the bytes the server named (percent-encoded) instead of ending in a
traceback, and every hop is checked against the URL policy.
"""

from __future__ import annotations

import json

from ris_connector.http import HttpClient, HttpSettings
from tests.support.faulty_server import FaultyServer


def test_latin1_location_is_followed_with_the_bytes_the_server_sent(home: FaultyServer) -> None:
    with HttpClient(home.base_url, HttpSettings(max_attempts=1)) as client:
        response = client.get(home.url("/latin1-redirect"))
    assert response.status == 200
    assert response.url == home.url("/echo/bi/sitzung_%FCbersicht.asp")
    assert json.loads(response.content)["path"] == "/echo/bi/sitzung_%FCbersicht.asp"


def test_utf8_location_is_followed_with_the_bytes_the_server_sent(home: FaultyServer) -> None:
    with HttpClient(home.base_url, HttpSettings(max_attempts=1)) as client:
        response = client.get(home.url("/utf8-redirect"))
    assert json.loads(response.content)["path"] == "/echo/bi/sitzung_%C3%BCbersicht.asp?a%20b"
