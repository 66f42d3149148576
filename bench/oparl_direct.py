"""Experiment: how fast pydantic reads served OParl objects itself, against the product's mapper.

Issue 19's next step: a pydantic model with OParl aliases validating the served dict directly
(no id canonicalisation, text cleaning or quirk checks) against ``OParlMapper`` with its
validation, on the sample's AgendaItem, File and Consultation objects. Not used by the product::

    python bench/oparl_direct.py [--scale 0.2]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oparl_mapper import served_objects

from ris_connector.adapters.oparl.mapper import OParlMapper
from ris_connector.clock import FixedClock
from ris_connector.models import Record


class Served(BaseModel):
    """Fields every served object shares, read by their OParl names."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")
    id: str
    type: str
    name: str | None = None
    created: AwareDatetime | None = None
    modified: AwareDatetime | None = None
    deleted: bool = False
    keyword: list[str] = Field(default_factory=list)
    web: str | None = None


class AgendaItem(Served):
    meeting: str | None = None
    number: str | None = None
    order: int | None = None
    public: bool | None = None
    consultation: str | None = None
    result: str | None = None
    resolution_text: str | None = None
    resolution_file: dict[str, Any] | None = None
    auxiliary_file: list[dict[str, Any]] = Field(default_factory=list)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class File(Served):
    file_name: str | None = None
    mime_type: str | None = None
    date: str | None = None
    size: int | None = None
    sha1_checksum: str | None = None
    text: str | None = None
    access_url: str
    download_url: str | None = None
    external_service_url: str | None = None
    master_file: str | None = None
    derivative_file: list[str] = Field(default_factory=list)
    file_license: str | None = None
    meeting: list[str] = Field(default_factory=list)
    agenda_item: list[str] = Field(default_factory=list)
    paper: list[str] = Field(default_factory=list)


class Consultation(Served):
    paper: str | None = None
    agenda_item: str | None = None
    meeting: str | None = None
    organization: list[str] = Field(default_factory=list)
    authoritative: bool | None = None
    role: str | None = None


MODELS: dict[str, type[Served]] = {"AgendaItem": AgendaItem, "File": File, "Consultation": Consultation}


def main() -> None:
    """Time both readers over the same served objects and print µs per object."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.2)
    objects = [(t, o) for t, o in served_objects(parser.parse_args().scale) if t in MODELS]
    print(len(objects), "objects of", sorted(MODELS))
    started = time.process_time()
    for type_name, obj in objects:
        MODELS[type_name].model_validate(obj)
    direct = time.process_time() - started
    print(f"pydantic reading the served JSON: {direct / len(objects) * 1e6:.1f} µs per object")
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=timezone.utc))
    mapper = OParlMapper(source="bench", tz=ZoneInfo("Europe/Berlin"), clock=clock, scheme_for={})
    started = time.process_time()
    records = 0
    for type_name, obj in objects:
        for item in mapper.items(obj, expected=type_name, url=obj.get("id")):
            records += isinstance(item, Record)
    mapped = time.process_time() - started
    print(f"the product's mapper with validation: {mapped / len(objects) * 1e6:.1f} µs per object ({records} records)")


if __name__ == "__main__":
    main()
