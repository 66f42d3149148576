"""Benchmark: the least a validated, stored sync can cost on this machine with this stack.

The targets of ``bench/run.py`` and ``bench/xml_stream.py`` are best read against what the bare
minimum costs here: no quirks, no mapping language, no change feed, no reference table, one
SQLite row per record. Each stage adds one step to the one before, so the lines show what each
step costs on its own::

    python bench/floors.py [--xml-mb 50] [--scale 1.0]

XML: a generated ALLRIS 3 export (``bench/xml_stream.py``'s generator) read with lxml's
iterparse (the safe settings of ``xmlsafe``), its children collected, validated into the
library's ``Meeting``/``Paper`` models, dumped, hashed and written, 1,000 rows per transaction.
OParl: the walker of ``bench/run.py`` against ``bench/server.py``, then the same walk with every
listed object validated into its model (embedded objects replaced by their ids), dumped, hashed
and written as one row, a transaction per page. Figures scale linearly with size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import requests
from lxml import etree

from ris_connector.models import RECORD_TYPES, Meeting, Paper, Record

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BenchServer, walk
from xml_stream import generate

PROVENANCE = {"source": "floor", "adapter": "bench", "fetchedAt": "2026-01-01T00:00:00Z"}
LISTS = ("organization", "person", "membership", "meeting", "agendaItem", "paper", "consultation", "file",
         "locationList", "legislativeTermList")  # fmt: skip


class Table:
    """One SQLite table of (id, type, hash, data) written in transactions of many rows."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE r (id TEXT PRIMARY KEY, type TEXT NOT NULL, hash TEXT NOT NULL, data TEXT)")

    def write(self, rows: list[tuple[str, str, str, str]]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO r VALUES (?, ?, ?, ?)", rows)
        self.db.execute("COMMIT")


def row(record: Record) -> tuple[str, str, str, str]:
    """The stored row of a record: its JSON, hashed."""
    data = orjson.dumps(record.model_dump(mode="json", by_alias=True, exclude_none=True))
    return record.id, record.type, hashlib.sha256(data).hexdigest(), data.decode()


# --- XML -----------------------------------------------------------------------------------
def xml_elements(path: Path) -> Iterator[Any]:
    for _, element in etree.iterparse(
        str(path), tag="element", resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    ):
        yield element
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]


def xml_dicts(path: Path) -> Iterator[dict[str, str]]:
    for element in xml_elements(path):
        yield {child.tag: child.text or "" for child in element}


def _utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def xml_models(path: Path) -> Iterator[Record]:
    for d in xml_dicts(path):
        if "silfdnr" in d:
            yield Meeting.model_validate(
                {
                    "id": f"urn:ris:floor:Meeting:{d['silfdnr']}",
                    "type": "Meeting",
                    "name": d["sitext"],
                    "start": _utc(d["sisbvcs"]),
                    "end": _utc(d["sisevcs"]),
                    "provenance": PROVENANCE,
                }
            )
        else:
            yield Paper.model_validate(
                {
                    "id": f"urn:ris:floor:Paper:{d['volfdnr']}",
                    "type": "Paper",
                    "name": d["vobetr"],
                    "reference": d["voname"],
                    "paperType": d["vaname"],
                    "provenance": PROVENANCE,
                }
            )


def stored(rows: Iterator[tuple[str, str, str, str]], table: Table) -> int:
    """Write ``rows`` 1,000 per transaction; returns how many."""
    count, batch = 0, []
    for r in rows:
        batch.append(r)
        count += 1
        if len(batch) == 1000:
            table.write(batch)
            batch = []
    table.write(batch)
    return count


def dict_row(d: dict[str, str]) -> tuple[str, str, str, str]:
    """The stored row of an element's dict, with no model in between."""
    data = orjson.dumps(d)
    return d.get("silfdnr") or d.get("volfdnr") or "", "x", hashlib.sha256(data).hexdigest(), data.decode()


def bench_xml(size_mb: float, folder: Path) -> None:
    export = folder / "export.xml"
    generate(export, size_mb)
    size = export.stat().st_size / 1e6
    stages: list[tuple[str, Callable[[], int]]] = [
        ("iterparse, element cleared", lambda: sum(1 for _ in xml_elements(export))),
        ("+ children collected as a dict", lambda: sum(1 for _ in xml_dicts(export))),
        ("+ validated into Meeting/Paper (pydantic)", lambda: sum(1 for _ in xml_models(export))),
        ("+ dumped, hashed, one SQLite row each", lambda: stored(map(row, xml_models(export)), Table(folder / "a.db"))),
        (
            "without the model: dict dumped, hashed, stored",
            lambda: stored(map(dict_row, xml_dicts(export)), Table(folder / "b.db")),
        ),
    ]
    print(f"\nXML export of {size:.1f} MB\n")
    print("| stage | elements | wall s | MB/s | CPU µs per element |\n|---|---|---|---|---|")
    for name, stage in stages:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        count = stage()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        print(f"| {name} | {count:,} | {wall:.2f} | {size / wall:.1f} | {cpu / count * 1e6:.1f} |", flush=True)


# --- OParl ---------------------------------------------------------------------------------
def _ids(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("id")
    if isinstance(value, list):
        return [v.get("id") if isinstance(v, dict) else v for v in value]
    return value


def oparl_stored(system_url: str, table: Table) -> tuple[int, int]:
    """Walk like the walker, and validate, dump, hash and store every listed object."""
    session = requests.Session()

    def get(url: str) -> dict[str, Any]:
        response = session.get(url, timeout=120)
        response.raise_for_status()
        page = json.loads(response.content)
        assert isinstance(page, dict)
        return page

    url: Any = get(system_url)["body"]
    bodies: list[dict[str, Any]] = []
    while url:
        page = get(url)
        bodies += page["data"]
        url = page.get("links", {}).get("next")
    stored = invalid = 0
    for body in bodies:
        for key in LISTS:
            url = body.get(key)
            while isinstance(url, str):
                page = get(url)
                rows = []
                for obj in page["data"]:
                    data = {k: _ids(v) for k, v in obj.items()}
                    data["type"] = obj["type"].rsplit("/", 1)[-1]
                    data["provenance"] = PROVENANCE
                    try:
                        rows.append(row(RECORD_TYPES[data["type"]].model_validate(data)))
                    except ValueError:
                        invalid += 1
                table.write(rows)
                stored += len(rows)
                url = page.get("links", {}).get("next")
    return stored, invalid


def bench_oparl(scale: float, folder: Path) -> None:
    server = BenchServer(scale, 100, 0.0)
    print(f"\nOParl server at scale {scale} ({server.objects:,} listed objects), one connection\n")
    print("| run | wall s | CPU s (client) | ratio to walker |\n|---|---|---|---|")
    try:
        for attempt in range(2):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            walk(server.url)
            walker = time.perf_counter() - wall0
            print(f"| walker | {walker:.2f} | {time.process_time() - cpu0:.2f} | |", flush=True)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            stored, invalid = oparl_stored(server.url, Table(folder / f"o{attempt}.db"))
            wall = time.perf_counter() - wall0
            print(f"| walker + validate, dump, hash, one row each ({stored:,} stored, {invalid} invalid) "
                  f"| {wall:.2f} | {time.process_time() - cpu0:.2f} | {wall / walker:.2f} |", flush=True)  # fmt: skip
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xml-mb", type=float, default=50.0, help="size of the generated export (0: skip)")
    parser.add_argument("--scale", type=float, default=1.0, help="OParl dataset scale (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ris-floors-") as tmp:
        if args.xml_mb:
            bench_xml(args.xml_mb, Path(tmp))
        if args.scale:
            bench_oparl(args.scale, Path(tmp))


if __name__ == "__main__":
    main()
