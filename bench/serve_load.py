"""``serve`` under idle and slowloris clients, and one store shared by threads: figures, old vs new.

    python bench/serve_load.py [--old-tree DIR] [--requests 200] [--idle 50] [--slowloris 50]

``--old-tree`` is a directory holding an older ``ris_connector`` package (e.g. ``git archive
<commit> ris_connector | tar -x -C DIR``); each measurement runs in its own process with
``PYTHONPATH`` set to the tree, so the old and the new code are measured the same way.

Serve: a ``ris-connector serve`` process on 127.0.0.1 with an empty SQLite store; ``--idle``
connections that send nothing and ``--slowloris`` ones that send a header byte a second are
held open while ``--requests`` GETs of ``/system`` run from 4 threads (5 s timeout each; a
server that answers nobody is given up after 8 failures). Prints requests that succeeded and
p50/p99 latency. Store: 3 writer threads x 40 batches of 20 records and 2 reader threads on one
store object (``tests/support/storethreads.py``); prints the batches lost and what readers saw.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.slowclients import SlowClients, load, serve_process  # noqa: E402

_STORE_SCRIPT = """
import json, sys, tempfile
from tests.support.storethreads import hammer
from ris_connector.store import SQLiteStore
with tempfile.TemporaryDirectory() as d:
    store = SQLiteStore(d + "/ris.db")
    out = hammer(store, writers=3, readers=2, batches=40, size=20)
    print(json.dumps({"intended": out.intended, "lost": out.lost, "lost_fraction": round(out.lost_fraction, 3),
                      "partial_reads": out.partial_reads, "poisoned_seen": out.poisoned_seen,
                      "reads": out.reads, "missing_after": out.missing_after, "errors": out.errors[:2]}))
"""


def _empty_store(tree: Path, folder: Path) -> Path:
    db = folder / "ris.db"
    code = f"from ris_connector.store import SQLiteStore; SQLiteStore({str(db)!r}).close()"
    subprocess.run([sys.executable, "-c", code], env=_env(tree), check=True, cwd=folder)
    return db


def _env(tree: Path, *extra: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (tree, *extra))}


def serve_figures(tree: Path, requests: int, idle: int, slowloris: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        db = _empty_store(tree, Path(folder))
        with serve_process(db, pythonpath=[str(tree)]) as base:
            parts = urlsplit(base)
            assert parts.hostname is not None and parts.port is not None
            started = time.monotonic()
            with SlowClients(parts.hostname, parts.port, idle=idle, slowloris=slowloris) as slow:
                time.sleep(1.5)
                result = load(f"{base}/system", requests, workers=4, timeout=5)
                held = slow.open_count()
                refused = slow.refused
    p50, p99 = result.percentile(50), result.percentile(99)
    return {
        "succeeded": result.ok,
        "failed": result.failed,
        "errors": result.errors,
        "p50_ms": round(p50 * 1000, 1) if p50 is not None else None,
        "p99_ms": round(p99 * 1000, 1) if p99 is not None else None,
        "load_s": round(result.elapsed, 1),
        "slow_clients_held": held,
        "slow_clients_not_connected": refused,
        "total_s": round(time.monotonic() - started, 1),
    }


def store_figures(tree: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _STORE_SCRIPT],
        env=_env(tree, ROOT),
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
        timeout=600,
    )
    if done.returncode != 0:
        return {"crashed": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old-tree", type=Path, help="directory with the older ris_connector package")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--idle", type=int, default=50)
    parser.add_argument("--slowloris", type=int, default=50)
    args = parser.parse_args()
    trees = [("new", ROOT)] + ([("old", args.old_tree.resolve())] if args.old_tree else [])
    for label, tree in trees:
        print(f"{label} serve, no slow clients:", json.dumps(serve_figures(tree, args.requests, 0, 0)), flush=True)
        figures = serve_figures(tree, args.requests, args.idle, args.slowloris)
        print(f"{label} serve, {args.idle} idle + {args.slowloris} slowloris:", json.dumps(figures), flush=True)
        print(f"{label} store, 3 writers + 2 readers:", json.dumps(store_figures(tree)), flush=True)


if __name__ == "__main__":
    main()
