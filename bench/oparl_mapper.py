"""Benchmark: CPU time of the OParl mapper alone, on the sample council as a server embeds it.

    python bench/oparl_mapper.py --scale 0.2 [--repeat 5] [--mapper module:Class]

Every listed object of the sample dataset (OParl 1.1, embedded objects expanded as served) is
mapped once per repeat by a fresh mapper (so identical embedded copies are skipped as in a run);
the best CPU time of the repeats is printed with objects and records per second. No HTTP, no
store: this isolates the mapping, which ``bench/run.py`` measures only inside a whole sync.
``--mapper`` compares another implementation with the same constructor.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ris_connector.clock import FixedClock
from ris_connector.models import Record
from ris_connector.sample.dataset import LIST_KEYS
from ris_connector.sample.generator import generate
from ris_connector.sample.views import Renderer

BASE = "http://127.0.0.1:8765/oparl/v1.1"


def served_objects(scale: float) -> list[tuple[str, dict[str, Any]]]:
    """(type, object as served) for every listed object, JSON round-tripped like a response."""
    ds = generate(BASE, scale=scale, version="1.1")
    renderer = Renderer(ds, frozenset())
    out = []
    for type_name in sorted(LIST_KEYS):
        for oid in ds.ids(type_name):
            obj = renderer.expand(ds.path_of(oid))
            if obj is not None:
                out.append((type_name, json.loads(json.dumps(obj))))
    return out


def main() -> None:
    """Time the mapper and print one line of figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mapper", default="ris_connector.adapters.oparl.mapper:OParlMapper")
    args = parser.parse_args()
    module, _, name = args.mapper.partition(":")
    mapper_cls = getattr(importlib.import_module(module), name)
    objects = served_objects(args.scale)
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=timezone.utc))
    best = float("inf")
    records = 0
    for _ in range(args.repeat):
        mapper = mapper_cls(source="bench", tz=ZoneInfo("Europe/Berlin"), clock=clock, scheme_for={})
        started = time.process_time()
        records = 0
        for type_name, obj in objects:
            for item in mapper.items(obj, expected=type_name, url=obj.get("id")):
                records += isinstance(item, Record)
        best = min(best, time.process_time() - started)
    print(
        f"{args.mapper}: scale {args.scale}, {len(objects)} objects, {records} records, "
        f"best of {args.repeat}: {best:.3f} s CPU, {len(objects) / best:,.0f} objects/s"
    )


if __name__ == "__main__":
    main()
