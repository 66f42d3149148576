"""The repairing decoder (UTF-8 where the bytes are UTF-8, cp1252 where not) on mixed bytes.

:class:`XmlDecoder` takes a fast route (``surrogateescape``, then a C-level fix-up); it must
give exactly what decoding the whole document with the per-sequence fallback handler gives,
for any mix of bytes and any chunking.
"""

from __future__ import annotations

import random

import pytest

from ris_connector.xmlsafe import _FALLBACK_HANDLER, _ILLEGAL_CHARS, XmlDecoder

PIECES = [
    b"abc ",
    b"<x>",
    "Straße".encode(),
    "Straße".encode("cp1252"),
    "„Mühlbach“ \N{EN DASH} €".encode(),
    "„Mühlbach“ \N{EN DASH} €".encode("cp1252"),
    "😀".encode(),  # 4 bytes
    b"\xe2\x82",  # a truncated 3-byte sequence
    b"\xed\xa0\x80",  # an encoded surrogate (not UTF-8)
    b"\xc0\xaf",  # overlong
    b"\x81\x8d\x8f\x90\x9d",  # bytes cp1252 leaves undefined
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\x01\x0b",  # control characters (removed)
    "\ufffe\uffff".encode(),  # non-characters XML forbids (removed)
    b"\xff\xfe",
]


def _reference(data: bytes) -> bytes:
    text = data.decode("utf-8", errors=_FALLBACK_HANDLER)
    return _ILLEGAL_CHARS.sub("", text).encode("utf-8")


def _decoded(data: bytes, sizes: list[int]) -> bytes:
    decoder = XmlDecoder()
    out: list[bytes] = []
    start = 0
    for size in sizes:
        out.append(decoder.feed(data[start : start + size]))
        start += size
    out.append(decoder.feed(data[start:], final=True))
    removed = len(_ILLEGAL_CHARS.findall(data.decode("utf-8", errors=_FALLBACK_HANDLER)))
    assert decoder.report.control_characters == removed
    return b"".join(out)


@pytest.mark.parametrize("seed", range(40))
def test_fast_repair_equals_the_fallback_handler(seed: int) -> None:
    rnd = random.Random(seed)
    # mostly cp1252 documents, mostly UTF-8 ones, and mixes
    weights = [rnd.random() for _ in PIECES]
    body = b"".join(rnd.choices(PIECES, weights, k=rnd.randint(1, 3000)))
    data = b"<r>" + body
    sizes = [rnd.choice([1, 2, 3, 5, 64, 4096, 5000, 70000]) for _ in range(rnd.randint(0, 40))]
    assert _decoded(data, sizes) == _reference(data)


def test_report_still_tells_cp1252_from_utf8() -> None:
    cp = XmlDecoder()
    cp.feed(b'<?xml version="1.0" encoding="ISO-8859-1"?><r>' + "Straße".encode("cp1252"), final=True)
    assert cp.report.read_as == "cp1252"
    utf = XmlDecoder()
    utf.feed(b'<?xml version="1.0" encoding="ISO-8859-1"?><r>' + "Straße".encode(), final=True)
    assert utf.report.read_as == "utf-8"


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("pieces", ["clean", "controls"])
def test_chunks_without_illegal_characters_skip_the_search_and_lose_nothing(seed: int, pieces: str) -> None:
    """Most chunks hold no character to remove (checked in C, then not searched); a control
    character or non-character anywhere, at any chunk boundary, is still removed and counted."""
    rnd = random.Random(seed)
    clean = [p for p in PIECES if not _ILLEGAL_CHARS.search(p.decode("utf-8", errors=_FALLBACK_HANDLER))]
    bad = [b"\x00", b"\x1f", "\ufffe".encode(), "\uffff".encode()]
    choice = clean if pieces == "clean" else clean * 20 + bad
    data = b"<r>" + b"".join(rnd.choices(choice, k=rnd.randint(1, 5000)))
    sizes = [rnd.choice([1, 2, 3, 64, 4096, 70000]) for _ in range(rnd.randint(0, 20))]
    assert _decoded(data, sizes) == _reference(data)
