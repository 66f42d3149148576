"""Mapping an XML export with the mapping plan, and which record fields a source field feeds (test helpers).

``mapped_items`` maps an export as the XML adapter does (records, rejections and the notices of
dropped values in the order an adapter yields them).
"""

from __future__ import annotations

from datetime import datetime

from ris_connector.adapters.base import Notice, Rejected
from ris_connector.clock import FixedClock
from ris_connector.mapping import Mapping, MappingPlan, Place
from ris_connector.models import Record
from ris_connector.xmlsafe import XmlStream

Mapped = Record | Rejected | Notice
"""What a mapping plan makes of an element (no tombstones or checkpoints: those are the adapters')."""


def plan_for(mapping: Mapping, source: str, now: datetime, *, keep_raw: bool = False) -> MappingPlan:
    """The plan the XML adapter would build for ``source`` (Europe/Berlin, a fixed clock)."""
    return MappingPlan(
        mapping, source=source, adapter="xml", timezone="Europe/Berlin", clock=FixedClock(now), keep_raw=keep_raw
    )


def mapped_items(plan: MappingPlan, data: bytes, url: str | None) -> list[Mapped]:
    """The export mapped by the plan, as the XML adapter maps it."""
    positions: dict[str, int] = {}
    seen: set[str] = set()
    place = Place(url=url)
    out: list[Mapped] = []
    for element in XmlStream([data], plan.mapping.record_tags()):
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
