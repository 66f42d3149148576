"""Several threads writing batches through one store object while others read it.

Used by ``tests/security/test_store_threads.py`` and ``bench/serve_load.py``. Every batch holds
``size`` records and their ``created`` events; every ``poison_every``-th batch fails at its last
statement (a NULL stream state) and must leave nothing behind. Readers check, again and again,
that they see each batch whole or not at all (one ``get_hashes`` statement per batch, one pass
over the change feed), and never a record of a failed batch.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

from ris_connector.errors import StoreError
from ris_connector.store import Store, WriteBatch

NOW = "2026-01-01T00:00:00+00:00"


@dataclass
class Outcome:
    """What the writers and readers saw."""

    intended: int = 0
    """Batches meant to be committed (the poisoned ones are not)."""
    lost: int = 0
    """Of those, batches whose ``apply`` failed."""
    errors: list[str] = field(default_factory=list)
    """Unexpected exceptions (first few), from writers and readers."""
    partial_reads: int = 0
    """Reads that saw some but not all records or events of a batch."""
    poisoned_seen: int = 0
    """Reads that saw a record or event of a batch that failed (uncommitted data)."""
    reads: int = 0
    missing_after: int = 0
    """Committed batches not (wholly) in the store at the end."""

    @property
    def lost_fraction(self) -> float:
        return self.lost / self.intended if self.intended else 0.0


def batch_ids(writer: int, number: int, size: int) -> list[str]:
    return [f"urn:ris:threads:Paper:w{writer}-b{number}-{k}" for k in range(size)]


def _batch(run_id: int, writer: int, number: int, size: int, poison: bool) -> WriteBatch:
    b = WriteBatch("threads", run_id, NOW)
    for rid in batch_ids(writer, number, size):
        b.upserts.append((rid, "Paper", f"h-{rid}", json.dumps({"id": rid, "type": "Paper"}), False))
        b.events.append(("created", "Paper", rid, ["id"], {}))
    if poison:  # fails at the last statement of the transaction, after the records and events
        b.states["poison"] = None  # type: ignore[assignment]
    return b


def hammer(
    store: Store, *, writers: int = 3, readers: int = 2, batches: int = 40, size: int = 20, poison_every: int = 5
) -> Outcome:
    """Run the writers and readers on ``store`` and report what they saw."""
    out = Outcome()
    lock = threading.Lock()
    run_id = store.start_run("threads", "test", full=True, started=NOW)
    done = threading.Event()
    poisoned = {(w, n) for w in range(writers) for n in range(batches) if n % poison_every == poison_every - 1}
    out.intended = writers * batches - len(poisoned)

    def note(text: str) -> None:
        with lock:
            if len(out.errors) < 5:
                out.errors.append(text)

    def write(w: int) -> None:
        for n in range(batches):
            try:
                store.apply(_batch(run_id, w, n, size, (w, n) in poisoned))
            except StoreError as exc:
                if (w, n) not in poisoned:
                    with lock:
                        out.lost += 1
                    note(f"writer {w} batch {n}: {exc}")
            except Exception as exc:
                with lock:
                    out.lost += (w, n) not in poisoned
                note(f"writer {w} batch {n}: {type(exc).__name__}: {exc}")

    def check_counts(counts: Counter[tuple[int, int]]) -> None:
        for key, count in counts.items():
            if key in poisoned:
                with lock:
                    out.poisoned_seen += 1
            elif count != size:
                with lock:
                    out.partial_reads += 1

    def read(seed: int) -> None:
        rng = random.Random(seed)
        while not done.is_set():
            try:
                w, n = rng.randrange(writers), rng.randrange(batches)
                found = store.get_hashes(batch_ids(w, n, size))
                check_counts(Counter({(w, n): len(found)}) if found else Counter())
                events: Counter[tuple[int, int]] = Counter()
                for event in store.changes(source="threads"):
                    tag = event.id.rsplit(":", 1)[1].split("-")
                    events[(int(tag[0][1:]), int(tag[1][1:]))] += 1
                check_counts(events)
                with lock:
                    out.reads += 1
            except Exception as exc:
                note(f"reader: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    watchers = [threading.Thread(target=read, args=(r,)) for r in range(readers)]
    for t in [*watchers, *threads]:
        t.start()
    for t in threads:
        t.join()
    done.set()
    for t in watchers:
        t.join()
    for w in range(writers):
        for n in range(batches):
            if (w, n) not in poisoned and len(store.get_hashes(batch_ids(w, n, size))) != size:
                out.missing_after += 1
    return out
