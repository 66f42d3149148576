"""SourceIds: the folder fast path says exactly what the full id check says."""

from __future__ import annotations

import itertools
import random

import pytest

from ris_connector.adapters.oparl.sourceids import SourceIds
from ris_connector.normalize.ids import canonical_url, url_id

SCHEMES = {"ris.example.org": "https"}
FOLDERS = [
    "https://ris.example.org/oparl/v1/paper/",
    "http://ris.example.org/oparl/v1/paper/",
    "https://RIS.example.org/oparl/v1/paper/",
    "https://ris.example.org:443/oparl/v1/paper/",
    "https://other.example:8080/oparl//v1/",
    "https://other.example:8080/p.asp?id=/",
    "http://127.0.0.1:8765/oparl/v1.1/meetings/",
    "http://",
    "https://",
    "https://ris.example.org",
    " https://ris.example.org/x/",
    "https://ris.example.org/x%20y/",
    "https://ris.example.org/x y/",
]
TAILS = [
    "1",
    "12345",
    "abc",
    "A1",
    "",
    "²",
    "\u0661",
    "ä",
    "1.",
    "..",
    "a-b",
    "a_b",
    "1/",
    "1?x",
    "%41",
    " 1",
    "1 ",
    "\n",
]


def _full(value: object) -> str | None:
    return url_id(value, scheme_for=SCHEMES)


def _full_canonical(value: str) -> str | BaseException:
    try:
        return canonical_url(value, scheme_for=SCHEMES)
    except ValueError as exc:
        return exc


def test_fast_path_agrees_with_the_full_check_after_learning_every_folder() -> None:
    ids = SourceIds(SCHEMES)
    urls = [folder + tail for folder, tail in itertools.product(FOLDERS, TAILS)]
    rng = random.Random(7)
    urls += [rng.choice(FOLDERS) + "".join(rng.choices(TAILS, k=rng.randint(1, 3))) for _ in range(3000)]
    for _ in range(2):  # the first pass learns the folders, the second takes the fast path where it may
        for url in urls:
            assert ids.url_id(url) == _full(url), url
            expected = _full_canonical(url)
            if isinstance(expected, BaseException):
                with pytest.raises(ValueError):
                    ids.canonical(url)
            else:
                assert ids.canonical(url) == expected, url
    # what the fast path vouches for: canonical folders with a path, never the scheme alone
    assert {
        "https://ris.example.org/oparl/v1/paper/",
        "https://other.example:8080/p.asp?id=/",
        "http://127.0.0.1:8765/oparl/v1.1/meetings/",
        "https://ris.example.org/x%20y/",
    } <= ids._folders
    assert not ids._folders & {
        "http://",
        "https://",
        "https://RIS.example.org/oparl/v1/paper/",
        " https://ris.example.org/x/",
    }


def test_values_that_are_no_text_take_the_full_check() -> None:
    ids = SourceIds(SCHEMES)
    ids.url_id("https://ris.example.org/oparl/v1/paper/1")
    for value in (None, 1, 1.5, ["https://ris.example.org/oparl/v1/paper/1"], {"id": 1}):
        assert ids.url_id(value) == _full(value)
