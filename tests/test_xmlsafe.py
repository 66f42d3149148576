"""Hostile and mislabelled XML: every protection of ris_connector.xmlsafe, on real bytes.

Each hostile input is first shown to be effective against an unprotected parser where lxml
can demonstrate it (the control), so these tests fail if the protection goes away.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from ris_connector.errors import InvalidPayload, UnsafeXml
from ris_connector.xmlsafe import XmlStream, parse_bytes, safe_parser
from tests.support.static_server import Page, StaticServer


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-4711", encoding="utf-8")
    return path


@pytest.fixture
def server() -> Iterator[StaticServer]:
    s = StaticServer(
        {
            "/evil.dtd": Page(b'<!ENTITY leak "FROM-THE-NETWORK">', "application/xml-dtd"),
            "/entity.txt": Page(b"FROM-THE-NETWORK", "text/plain"),
        }
    ).start()
    yield s
    s.stop()


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _stream(data: bytes, size: int = 7, tags: tuple[str, ...] = ("r", "item")) -> list[str]:
    return ["".join(e.itertext()) for e in XmlStream(_chunks(data, size), tags)]


def test_external_file_entity_is_refused_and_nothing_leaks(secret_file: Path) -> None:
    doc = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret_file}">]><r>&x;</r>'.encode()
    # Control: an unprotected parser reads the file.
    unsafe = etree.fromstring(doc, etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False))
    assert "TOP-SECRET-4711" in "".join(unsafe.itertext())

    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        parse_bytes(doc)
    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        _stream(doc)
    # Second layer: the parser itself never resolves it, even if the DOCTYPE check were gone.
    root = etree.fromstring(doc, safe_parser())
    assert "TOP-SECRET-4711" not in etree.tostring(root).decode()


def test_external_http_entity_and_dtd_never_contact_the_network(server: StaticServer) -> None:
    entity = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{server.url("/entity.txt")}">]><r>&x;</r>'.encode()
    dtd = f'<!DOCTYPE r SYSTEM "{server.url("/evil.dtd")}"><r>&leak;</r>'.encode()
    for doc in (entity, dtd):
        with pytest.raises(UnsafeXml):
            parse_bytes(doc)
        with pytest.raises(UnsafeXml):
            _stream(doc, size=3)
        root = etree.fromstring(doc, safe_parser())
        assert "FROM-THE-NETWORK" not in etree.tostring(root).decode()
    assert not server.contacted(), server.requests


def test_billion_laughs_is_refused_quickly() -> None:
    lol = '<!ENTITY a0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    doc = f'<?xml version="1.0"?><!DOCTYPE r [{lol}]><r>&a9;</r>'.encode()
    started = time.monotonic()
    with pytest.raises(UnsafeXml):
        parse_bytes(doc)
    with pytest.raises(UnsafeXml):
        _stream(doc, size=64)
    # Without the DOCTYPE check the safe parser still expands nothing (or libxml2 refuses).
    try:
        root = etree.fromstring(doc, safe_parser())
    except etree.XMLSyntaxError:
        pass
    else:
        assert len(etree.tostring(root)) < 1000
    assert time.monotonic() - started < 5  # sanity bound only; 10**9 "lol"s would take minutes and GBs


def test_doctype_hidden_behind_comments_and_chunk_boundaries_is_found() -> None:
    doc = b'<?xml version="1.0"?>\n<!-- <a> not the root --><?pi x?><!doctype r [<!ENTITY e "x">]><r>&e;</r>'
    for size in (1, 2, 5, 4096):
        with pytest.raises(UnsafeXml):
            _stream(doc, size=size)


def test_broken_xml_is_an_invalid_payload_naming_the_source() -> None:
    with pytest.raises(InvalidPayload, match=r"example\.org/export"):
        list(XmlStream([b"<r><item>1</item><item>"], ["item"], where="example.org/export"))


def test_latin1_label_is_read_as_cp1252() -> None:
    text = "Straßenausbau „Am Mühlbach“ \N{EN DASH} 5 €"
    doc = f'<?xml version="1.0" encoding="ISO-8859-1"?><r><item>{text}</item></r>'.encode("cp1252")
    stream = XmlStream(_chunks(doc, 5), ["item"])
    assert ["".join(e.itertext()) for e in stream] == [text]
    assert stream.report.read_as == "cp1252" and stream.report.relabelled
    # Control: libxml2 believes the label and turns the cp1252 quotes into C1 controls.
    naive = etree.fromstring(doc).findtext("item")
    assert naive != text


def test_utf8_under_latin1_label_is_read_as_utf8() -> None:
    text = "Grünflächenamt: Änderung der Gebührenordnung"
    doc = f'<?xml version="1.0" encoding="iso-8859-1"?><r><item>{text}</item></r>'.encode()
    root, report = parse_bytes(doc)
    assert root.findtext("item") == text
    assert report.read_as == "utf-8" and report.relabelled
    assert etree.fromstring(doc).findtext("item") == "GrÃ¼nflÃ¤chenamt: Ã\x84nderung der GebÃ¼hrenordnung"


def test_http_charset_beats_the_declaration_and_utf8_label_with_stray_cp1252_is_repaired() -> None:
    doc = '<?xml version="1.0" encoding="utf-8"?><r><item>Gebühr</item></r>'.encode("cp1252")
    root, _ = parse_bytes(doc)
    assert root.findtext("item") == "Gebühr"
    root, report = parse_bytes(doc, charset="windows-1252")
    assert root.findtext("item") == "Gebühr" and report.label == "windows-1252"


def test_control_characters_are_removed_and_counted() -> None:
    doc = b"<r><item>Beschluss\x0b vom\x01 1.\x1f3.</item><item>ok\x00</item></r>"
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(doc)  # control: libxml2 refuses the document outright
    stream = XmlStream([doc], ["item"])
    assert ["".join(e.itertext()) for e in stream] == ["Beschluss vom 1.3.", "ok"]
    assert stream.report.control_characters == 4


def test_streaming_keeps_about_one_record_in_memory() -> None:
    def chunks() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><export><head><title>t</title></head><list>'
        for i in range(20_000):
            yield f"<element><id>{i}</id><text>{'x' * 50}</text></element>".encode()
        yield b"</list></export>"

    seen = 0
    biggest = 0
    for element in XmlStream(chunks(), ["element"]):
        seen += 1
        biggest = max(biggest, len(element.getparent()))
        # Elements outside records (the head) stay readable for absolute paths.
        assert element.getroottree().getroot().findtext("head/title") == "t"
    assert seen == 20_000
    # At most the records of one parser feed (the first 4 KiB) coexist, not all 20 000.
    assert biggest < 100
