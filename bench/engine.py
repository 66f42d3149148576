"""Benchmark: what the sync engine itself costs per record, without HTTP or an adapter's parsing.

An in-memory adapter yields ``--records`` ready Meeting/Paper records (and, with ``--copies``, a
second, older copy of every tenth one, as OParl embeds and lists objects). The engine runs two
full syncs into a fresh SQLite file: the first creates every row, the second finds them all
unchanged (the hot path). Printed: the best CPU seconds of ``--repeat`` rounds for each::

    python bench/engine.py [--records 30000] [--repeat 3] [--copies]

Run it from two checkouts (``PYTHONPATH=<checkout> python <checkout>/bench/engine.py``) to see
what a change of the engine costs; the process's CPU time is less noisy than ``bench/run.py``'s
wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ris_connector.adapters.base import Adapter, Checkpoint, Item
from ris_connector.config import source_from_mapping
from ris_connector.models import Meeting, Organization, Paper, Record
from ris_connector.store import SQLiteStore
from ris_connector.sync import SyncEngine

T = datetime(2024, 1, 1, tzinfo=timezone.utc)
BASE = "https://ris.example.org/oparl"


def records(n: int, copies: bool) -> Iterator[Record]:
    # every reference resolves, as in a whole source: the reference check finds nothing to fetch
    yield from (Organization(id=f"{BASE}/organizations/{k}", name=f"Ausschuss {k}", modified=T) for k in range(7))
    for i in range(n):
        if i % 2:
            rec: Record = Meeting(
                id=f"{BASE}/meetings/{i}",
                name=f"Sitzung {i} des Ausschusses",
                start=T,
                modified=T,
                organization=[f"{BASE}/organizations/{i % 7}"],
                web=f"https://ris.example.org/si0057.php?__ksinr={i}",
            )
        else:
            rec = Paper(
                id=f"{BASE}/papers/{i}",
                name=f"Vorlage {i} zur Sanierung der Grundschule",
                reference=f"2024/{i}",
                modified=T,
                consultation=[f"{BASE}/meetings/{i + 1}"],  # a record of this run
            )
        yield rec
        if copies and i % 10 == 0:
            yield rec.model_copy(update={"modified": T - timedelta(days=30), "name": None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", action="store_true", help="an older copy of every tenth record")
    args = parser.parse_args()

    class Bench(Adapter):
        name = "bench"

        def fetch(self) -> Iterator[Item]:
            yield from records(args.records, args.copies)
            yield Checkpoint("all", {"n": args.records})

    best: dict[str, float] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "bench.db") as store:
            config = source_from_mapping({"name": "bench", "adapter": "bench", "url": BASE})
            for label in ("first full sync (all created)", "second full sync (all unchanged)"):
                engine = SyncEngine(config, store, adapter_cls=Bench)
                start = time.process_time()
                engine.run(full=True)
                best[label] = min(best.get(label, float("inf")), time.process_time() - start)
    for label, seconds in best.items():
        print(f"{label}: {seconds:.3f} s CPU, {seconds / args.records * 1e6:.1f} µs per record")


if __name__ == "__main__":
    main()
