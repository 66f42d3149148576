"""A bad value costs the value, not the record: XML exports (and the mapping layer SOAP shares).

A record of the real-shaped ALLRIS 3 pages in ``tests/fixtures/xml/allris3`` gets one element
it maps spoiled in every way hypothesis finds: odd, long, control and bidi text, dates and
numbers that are none, nested elements where text belongs, the element repeated (a list where
one value belongs), attributes, CDATA, nil, or the element missing. The record must survive
with its other fields unchanged, a value that vanished must be a counted notice naming the
field, and the general mapping interpreter (the SOAP adapter's path) must say the same.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from ris_connector.adapters.base import Notice, Rejected
from ris_connector.mapping import load_mapping
from ris_connector.models import Record
from ris_connector.normalize.text import clean_text
from tests.support.mapping_runs import Mapped, fields_fed, mapped_items, plan_for
from tests.support.ristest import FIXTURES
from tests.support.spoil import text_spoilers

EXAMPLES = 150
NOW = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)
MAPPING = load_mapping("allris3")
MARK = "SPOILED-VALUE-MARK"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: page, export URL, the record element's id element and value, the record's type.
RECORDS = {
    "meeting": ("si010.xml", "https://ris.example/bi/si010.asp?showall=true", "silfdnr", "5001", "Meeting"),
    "agenda-item": ("to010.xml", "https://ris.example/bi/to010.asp?SILFDNR=5001", "tolfdnr", "9102", "AgendaItem"),
    "paper": ("vo040.xml", "https://ris.example/bi/vo040.asp", "volfdnr", "7001", "Paper"),
}


def _mapped(type_name: str) -> dict[str, set[str]]:
    """Element name -> fields of ``type_name`` records that it feeds."""
    return fields_fed(MAPPING, type_name)


def _when(type_name: str) -> set[str]:
    """Elements whose presence decides whether an element is a ``type_name`` record at all."""
    return {p for s in MAPPING.xml_records() if s.type == type_name for p in (*s.when, *s.unless)}


def _document(page: str, id_tag: str, native: str, tag: str, fragment: str | None) -> bytes:
    """The page as UTF-8 with the record's ``tag`` child replaced by ``fragment`` (None: removed)."""
    root = etree.fromstring((FIXTURES / "xml" / "allris3" / page).read_bytes())
    element = next(e for e in root.iter("element") if e.findtext(id_tag) == native)
    for old in element.findall(tag):
        element.remove(old)
    if fragment is not None:
        etree.SubElement(element, tag).text = MARK
    text: str = etree.tostring(root, encoding="unicode")  # lxml has no type hints here: Any
    if fragment is not None:
        text = text.replace(f"<{tag}>{MARK}</{tag}>", fragment)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8", "surrogatepass")


def _compiled(data: bytes, url: str) -> list[Mapped]:
    return mapped_items(plan_for(MAPPING, "muster", NOW), data, url)


@st.composite
def fragments(draw: st.DrawFn, tag: str) -> tuple[str | None, list[str]]:
    """XML for one child element, and the texts it holds (to tell whether it says anything)."""
    texts = draw(st.lists(text_spoilers, min_size=1, max_size=3))
    first = texts[0]
    kind = draw(
        st.sampled_from(["text", "cdata", "nested", "repeated", "attribute", "empty", "nil", "missing", "comment"])
    )
    if kind == "text":
        return f"<{tag}>{escape(first)}</{tag}>", [first]
    if kind == "cdata":
        return f"<{tag}><![CDATA[{first.replace(']]>', ']]]]><![CDATA[>')}]]></{tag}>", [first]
    if kind == "nested":
        inner = "".join(f"<v{i}>{escape(t)}</v{i}><leer/>" for i, t in enumerate(texts))
        return f"<{tag}>{inner}</{tag}>", texts
    if kind == "repeated":
        return "".join(f"<{tag}>{escape(t)}</{tag}>" for t in texts), texts
    if kind == "attribute":
        return f'<{tag} wert="{escape(first, {chr(34): "&quot;"})}" xml:lang="de"/>', []
    if kind == "nil":
        return f'<{tag} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>', []
    if kind == "comment":
        return f"<{tag}><!-- {first.replace('--', '- -').rstrip('-')} -->{escape(first)}</{tag}>", [first]
    return (f"<{tag}/>" if kind == "empty" else None), []


def _says_something(texts: list[str]) -> bool:
    """Whether the spoiled texts carry a value (not empty, control characters only, or a null value)."""
    for text in texts:
        cleaned = clean_text(_XML_ILLEGAL.sub("", text))  # the XML reader removes these (counted)
        if cleaned is not None and cleaned not in MAPPING.null_values:
            return True
    return False


@pytest.mark.parametrize("which", sorted(RECORDS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_spoiled_element_costs_only_its_value(which: str, data: st.DataObject) -> None:
    page, url, id_tag, native, type_name = RECORDS[which]
    mapped = _mapped(type_name)
    tag = data.draw(st.sampled_from(sorted(set(mapped) - {id_tag})), label="element")
    fragment, texts = data.draw(fragments(tag), label="fragment")
    if tag in _when(type_name):
        assume(_says_something(texts))  # an empty discriminator makes it another kind of element
    rid = f"urn:ris:muster:{type_name}:{native}"
    clean = _compiled(_document(page, id_tag, native, "unused", None), url)
    before = next(i for i in clean if isinstance(i, Record) and i.id == rid).to_json_dict()

    items = _compiled(_document(page, id_tag, native, tag, fragment), url)
    assert not [i for i in items if isinstance(i, Rejected) and i.ref == rid], "the record was quarantined"
    found = [i for i in items if isinstance(i, Record) and i.id == rid]
    assert len(found) == 1, f"the record is missing: {[type(i).__name__ for i in items]}"
    after = found[0].to_json_dict()
    found[0].content_hash()
    feeds = {f.replace("_", "") for f in mapped[tag]}  # compare with JSON (camelCase) names
    for key in set(before) | set(after):
        if key.lower() not in feeds and key != "provenance":
            assert after.get(key) == before.get(key), f"{key} changed when <{tag}> was spoiled"
    for field in mapped[tag] - {"status"}:
        json_name = next((k for k in before if k.lower() == field.replace("_", "")), None)
        if json_name and json_name not in after and _says_something(texts):
            told = [i.message for i in items if isinstance(i, Notice)]
            told += [f": {name}: {code}" for code, name, _ in found[0].url_notes or ()]  # counted by the engine
            assert any(f": {field}: " in m for m in told), f"{field} vanished without a notice: {told}"
