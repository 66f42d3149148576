"""Benchmark: stream a generated ALLRIS-3-style XML export of ~200 MB through the XML adapter.

Generates the export (ISO-8859-1 label, cp1252 bytes, as ALLRIS 3 serves it) into a temporary
folder, syncs it with the shipped ``allris3`` mapping into a temporary SQLite file, and prints
records/s, MB/s, the CPU time per record element and the peak RSS of the process. With
``--keep DIR`` the export is kept and reused by the next run of the same size; the database is
always new, so every run measures a first sync (all records created). Usage::

    python bench/xml_stream.py [--size-mb 200] [--keep DIR] [--record-kb 1.5] [--mapping-only]

``--record-kb`` generates records of a realistic size instead: papers (four of five elements)
whose subject is long German text, about 1-2.5 KB per paper element, and the meetings between
them as before; it reports MB/s on that export (the default export's records are ~260 bytes).
``--mapping-only`` times only the adapter's part (decode, parse, map, validate; no engine, no
store), which compares a change to the XML path more exactly than a whole sync.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from ris_connector.clock import SystemClock
from ris_connector.config import source_from_mapping
from ris_connector.mapping import MappingPlan, Place, load_mapping
from ris_connector.runtime import tune_gc
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from ris_connector.xmlsafe import XmlStream

GREMIEN = [
    "Rat der Stadt",
    "Hauptausschuss",
    "Ausschuss für Bauen, Umwelt und Straßen",
    "Jugendhilfeausschuss",
    "Finanzausschuss",
    "Ortsbeirat Nord",
    "Kulturausschuss",
    "Sozialausschuss",
]
WORDS = [
    "Straßenausbau",
    "Bebauungsplan",
    "Haushaltssatzung",
    "Kindertagesstätte",
    "Radverkehr",
    "Gebühren",
    "Friedhof",
    "Feuerwehr",
    "Grünfläche",
    "Schule",
    "Sanierung",
    "Zuschuss",
    "„Mühlbach“",
    "Änderung",
]


PHRASES = [
    "Die Verwaltung wird beauftragt, ein Konzept zur Sanierung der Grundschule am Mühlbach vorzulegen",
    "der Ausschuss für Bauen, Umwelt und Straßen empfiehlt dem Rat der Stadt die Zustimmung",
    "die Haushaltsmittel in Höhe von 1.250.000 € werden im Teilergebnisplan „Schulträgeraufgaben“ bereitgestellt",
    "im Rahmen der Bürgerbeteiligung gingen 43 Stellungnahmen ein, die in der Anlage abgewogen werden",
    "der Bebauungsplan Nr. 112 „Am Friedhof“ wird gemäß § 10 Abs. 1 BauGB als Satzung beschlossen",
    "die Gebührensatzung für die Straßenreinigung und den Winterdienst wird zum 1. Januar geändert",
    "über die Vergabe der Bauleistungen für den Radverkehr entscheidet der Hauptausschuss",
    "die Feuerwehr erhält ein neues Hilfeleistungslöschgruppenfahrzeug; die Förderung ist beantragt",
    "Begründung: Die bestehende Kindertagesstätte genügt den Anforderungen an Brandschutz nicht mehr",
    "Finanzielle Auswirkungen: Die Folgekosten für Unterhaltung und Pflege der Grünfläche sind geprüft",
    "der Jugendhilfeausschuss nimmt den Bericht über die Bedarfsplanung zur Kenntnis",
    "die Änderung tritt am Tag nach ihrer öffentlichen Bekanntmachung in Kraft",
]


def long_text(rnd: random.Random, size: int) -> str:
    """German prose of about ``size`` characters, from the phrases above."""
    parts: list[str] = []
    length = 0
    while length < size:
        phrase = rnd.choice(PHRASES)
        parts.append(phrase)
        length += len(phrase) + 2
    return ". ".join(parts) + "."


def generate(path: Path, size_mb: float, seed: int = 7, record_kb: float = 0.0) -> int:
    """Write the export; returns the number of record elements (meetings and papers).

    With ``record_kb``, four of five elements are papers whose subject is German prose of
    0.8 to 1.6 times ``record_kb`` KB (realistic record sizes); else meetings and papers alternate
    with short texts."""
    rnd = random.Random(seed)
    target = int(size_mb * 1024 * 1024)
    start = datetime(2004, 1, 1, 16, 0)
    count = 0
    with path.open("wb") as out:
        out.write(
            b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<export>\n<special><nowDate>20240101T000000Z'
            b"</nowDate></special>\n<list>\n"
        )
        written = 0

        def subject(rnd: random.Random) -> str:
            if record_kb:
                return long_text(rnd, int(record_kb * 1024 * rnd.uniform(0.8, 1.6)))
            return " ".join(rnd.sample(WORDS, 6))

        while written < target:
            count += 1
            if count % (5 if record_kb else 2) == 1:
                when = start + timedelta(hours=count * 7)
                text = (
                    f"<element><silfdnr>{count}</silfdnr><siname>SI/{count}</siname>"
                    f"<sitext>Sitzung des {rnd.choice(GREMIEN)} \N{EN DASH} {' '.join(rnd.sample(WORDS, 4))}</sitext>"
                    f"<grname>{rnd.choice(GREMIEN)}</grname>"
                    f"<sisbvcs>{when:%Y%m%dT%H%M%S}Z</sisbvcs>"
                    f"<sisevcs>{when + timedelta(hours=2):%Y%m%dT%H%M%S}Z</sisevcs></element>\n"
                )
            else:
                text = (
                    f"<element><volfdnr>{count}</volfdnr><voname>VO/{count // 1000}/{count % 1000:03d}</voname>"
                    f"<vobetr>{subject(rnd)}</vobetr><vaname>Beschlussvorlage</vaname>"
                    f"<atname>Amt {count % 40}</atname><link_vo>vo020.asp?VOLFDNR={count}</link_vo></element>\n"
                )
            data = text.encode("cp1252")
            out.write(data)
            written += len(data)
        out.write(b"</list>\n</export>\n")
    return count


def map_only(export: Path) -> tuple[float, int]:
    """CPU seconds to read, decode, parse and map the export as the XML adapter does (records
    validated, nothing stored), and the number of items: the adapter's share of a sync."""
    mapping = load_mapping("allris3")
    plan = MappingPlan(mapping, source="bench", adapter="xml", timezone="Europe/Berlin", clock=SystemClock())

    def chunks() -> Iterator[bytes]:
        with export.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk

    positions: dict[str, int] = {}
    seen: set[str] = set()
    place = Place(url=None)
    count = 0
    started = time.process_time()
    for element in XmlStream(chunks(), mapping.record_tags(), where=str(export)):
        count += len(plan.items(element, place, positions, seen))
    return time.process_time() - started, count


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200.0)
    parser.add_argument("--keep", type=Path, help="keep the export and the database in this folder")
    parser.add_argument("--record-kb", type=float, default=0.0, help="papers of about this many KB (realistic size)")
    parser.add_argument(
        "--mapping-only", action="store_true", help="time the adapter's part only (no engine, no store)"
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ris-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"si010-vo040-{args.record_kb:g}kb" if args.record_kb else "si010-vo040"
    export = folder / f"{stem}.xml"
    marker = folder / f"{stem}.count"
    t0 = time.monotonic()
    if export.exists() and marker.exists() and marker.read_text().split()[0] == str(args.size_mb):
        elements = int(marker.read_text().split()[1])
        print(f"reusing {export}")
    else:
        elements = generate(export, args.size_mb, record_kb=args.record_kb)
        marker.write_text(f"{args.size_mb} {elements}\n")
    size = export.stat().st_size
    print(
        f"export {size / 1e6:.1f} MB, {elements} record elements, {size / elements:,.0f} bytes each on average "
        f"({time.monotonic() - t0:.1f} s)"
    )
    print(f"peak RSS before sync: {peak_rss_mb():.1f} MB")
    tune_gc()  # as `ris-connector sync` and the Celery workers do (ris_connector.runtime)

    if args.mapping_only:
        cpu, items = map_only(export)
        print(f"mapping only: {items} items, CPU {cpu:.2f} s, {cpu / elements * 1e6:.1f} us per record element")
        print(f"peak RSS: {peak_rss_mb():.1f} MB")
        return 0

    for old in folder.glob("bench.db*"):
        old.unlink()
    store = SQLiteStore(folder / "bench.db")
    source = source_from_mapping({"name": "bench", "adapter": "xml", "mapping": "allris3", "file": [str(export)]})
    t1 = time.monotonic()
    cpu1 = time.process_time()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = run_source(source, store)
    elapsed = time.monotonic() - t1
    cpu = time.process_time() - cpu1
    store.close()
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the store's writer process, ended by now
    child_cpu = child1.ru_utime + child1.ru_stime - child0.ru_utime - child0.ru_stime
    records = sum(report.counts[t]["created"] + report.counts[t]["unchanged"] for t in report.counts)
    print(f"status {report.status}; created {report.total('created')}, quarantined {report.total('quarantined')}")
    print(f"sync: {elapsed:.1f} s, {records / elapsed:,.0f} records/s, {size / 1e6 / elapsed:.2f} MB/s")
    print(
        f"sync CPU: {cpu:.1f} s, {cpu / elements * 1e6:.0f} us per record element, {size / 1e6 / cpu:.2f} MB per CPU-s"
    )
    print(f"peak RSS: {peak_rss_mb():.1f} MB")
    print(f"writer process: CPU {child_cpu:.1f} s, peak RSS {child1.ru_maxrss / 1024:.1f} MB (0: none started)")
    if not args.keep:
        export.unlink()
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return 0 if report.complete else 1


if __name__ == "__main__":
    sys.exit(main())
