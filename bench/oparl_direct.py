"""Experiment: how fast pydantic reads served OParl objects itself, against the product's mapper.

Issue 19's next step: the product's own models (unknown keys ignored, the type URI and embedded
objects read as served) validating the served dict directly, with none of the mapper's id
canonicalisation, text cleaning or quirk checks, against ``OParlMapper`` with its validation, on
the sample's AgendaItem, File and Consultation objects. Not used by the product::

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

from pydantic import BaseModel, ConfigDict, Field

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oparl_mapper import served_objects

from ris_connector import models
from ris_connector.adapters.oparl.mapper import OParlMapper
from ris_connector.clock import FixedClock
from ris_connector.models import Record


class Served(BaseModel):
    """What the direct read changes in a product model: unknown keys ignored, the type URI read as
    text; everything else (fields, aliases, URL checks) is the product model's own."""

    model_config = ConfigDict(extra="ignore")
    type: str  # the served URI, not the short name


class AgendaItem(Served, models.AgendaItem):
    resolution_file: dict[str, Any] | None = None  # type: ignore[assignment]  # embedded as served
    auxiliary_file: list[dict[str, Any]] = Field(default_factory=list)  # type: ignore[assignment]


class File(Served, models.File):
    pass


class Consultation(Served, models.Consultation):
    pass


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
