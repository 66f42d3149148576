"""Promise: whose id an http(s) id is does not depend on the ids checked before it.

``Ownership.foreign`` remembers the origin of the last own URL id and takes every id
``<origin>/...`` for the source's own without parsing it again (the engine asks once per
record). Ids that merely start with the same text (a longer host name, another port, user
info) must still be judged by the URL policy.
"""

from __future__ import annotations

import pytest

from ris_connector.http.settings import HttpSettings
from ris_connector.sync.ownership import Ownership

HOME = "https://ris.example.org/oparl/system"


@pytest.mark.parametrize(
    "lookalike",
    [
        "https://ris.example.org.evil.example/oparl/paper/1",
        "https://ris.example.org:8443/oparl/paper/1",
        "https://ris.example.org@evil.example/oparl/paper/1",
        "https://ris.example.org",  # no path: the slow path, which owns it
    ],
)
def test_an_own_id_first_does_not_make_a_lookalike_own(lookalike: str) -> None:
    fresh = Ownership("town", HOME, HttpSettings()).foreign(lookalike)
    warmed = Ownership("town", HOME, HttpSettings())
    assert warmed.foreign("https://ris.example.org/oparl/paper/7") is None
    assert warmed.foreign(lookalike) == fresh
    if lookalike != "https://ris.example.org":
        assert fresh is not None and "outside the source's hosts" in fresh


def test_ids_of_the_home_and_of_allowed_hosts_stay_own_in_any_order() -> None:
    owner = Ownership("town", HOME, HttpSettings(allowed_hosts=["files.example.org"]))
    ids = [
        "https://files.example.org/doc/1",
        "https://ris.example.org/oparl/paper/1",
        "https://files.example.org/doc/2",
        "urn:ris:town:Paper:9",
        "https://ris.example.org/oparl/paper/2",
    ]
    assert [owner.foreign(i) for i in ids] == [None] * len(ids)
    assert owner.foreign("urn:ris:other:Paper:9") is not None
    assert owner.foreign("https://evil.example/oparl/paper/1") is not None
