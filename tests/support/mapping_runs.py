"""Mapping an XML export both ways, and which record fields a source field feeds (test helpers).

``general_items`` interprets the mapping element by element, spec by spec (``RecordBuilder``:
the SOAP adapter's path); ``compiled_items`` uses the XML adapter's ``XmlPlan``. Both return
records, rejections and the notices of dropped values in the order an adapter yields them.
"""

from __future__ import annotations

from ris_connector.adapters.base import Notice, Rejected
from ris_connector.mapping import Mapping, Place, RecordBuilder
from ris_connector.mapping.compiled import XmlPlan
from ris_connector.mapping.paths import XmlLookup, element_matches
from ris_connector.models import Record
from ris_connector.xmlsafe import XmlStream

Item = Record | Rejected | Notice


def general_items(builder: RecordBuilder, data: bytes, url: str | None) -> list[Item]:
    """The mapping interpreted element by element, spec by spec (the path before the plan)."""
    out: list[Item] = []
    positions: dict[str, int] = {}
    seen: set[str] = set()
    for element in XmlStream([data], builder.mapping.record_tags()):
        lookup = XmlLookup(element)
        for spec in builder.mapping.xml_records():
            if not any(element_matches(element, p) for p in spec.element):
                continue
            if not builder.matches(spec, element, Place(url=url, lookup=lookup)):
                continue
            positions[spec.type] = positions.get(spec.type, 0) + 1
            notices: list[Notice] = []
            item = builder.build(spec, element, Place(url=url, position=positions[spec.type], lookup=lookup), notices)
            if spec.repeated and isinstance(item, Record):
                if item.id in seen:
                    continue
                seen.add(item.id)
            out.extend(notices)
            out.append(item)
    return out


def compiled_items(builder: RecordBuilder, data: bytes, url: str | None) -> list[Item]:
    """The export mapped by the XML adapter's compiled plan."""
    plan = XmlPlan(builder)
    positions: dict[str, int] = {}
    seen: set[str] = set()
    place = Place(url=url)
    out: list[Item] = []
    for element in XmlStream([data], builder.mapping.record_tags()):
        out.extend(plan.items(element, place, positions, seen))
    return out


def fields_fed(mapping: Mapping, type_name: str) -> dict[str, set[str]]:
    """Source path -> the fields and relations of ``type_name`` records it feeds (``when`` included).

    A Meeting's ``status`` is derived from its name and times, so it is fed by what feeds those.
    """
    out: dict[str, set[str]] = {}
    for spec in mapping.records:
        if spec.type != type_name:
            continue
        for name, field in {**spec.fields, **spec.relations}.items():
            for path in [*field.path, *getattr(field, "when", [])]:
                out.setdefault(path, set()).add(name)
    if type_name == "Meeting":
        for feeds in out.values():
            if feeds & {"start", "end", "name", "cancelled", "meeting_state"}:
                feeds.add("status")
    return out
