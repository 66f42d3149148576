"""Benchmark of the OParl output: the first request after a sync, and the bytes of a full walk.

    python bench/oparl_output.py first-request --scale 1.0 [--repeat 3]
    python bench/oparl_output.py walk --scale 0.1

``first-request``: the sample town (``ris_connector.sample``, scale 1.0 = 153,880 listed objects,
about 160k records) is synced into a new SQLite file, the OParl application is created on it
and answers one request (its index is built). Then, per round: an incremental sync with
nothing changed and the first request after it (the meeting list, page 1), a second request,
then 1% of the listed objects changed at the source, an incremental sync and the first request
after it. Times are wall seconds of ``app.get_json`` in this process; the syncs are not timed.

``walk``: reads every page of every external list of every Body (plus System and Body list),
once from the sample server (``--real``: the real Somacos payloads of ``tests/fixtures/real``
as the tests serve them) and once from the output after a full sync, and prints the bytes per
list and in total.

Only public API is used (``create_app``, ``OParlApp.get_json``, ``run_source``,
``OParlServer``), so the same script measures an older checkout (``PYTHONPATH=<checkout>``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import requests

from ris_connector.config import source_from_mapping
from ris_connector.outputs.oparl import create_app
from ris_connector.sample.dataset import LIST_KEYS
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source

LISTS = ("organization", "person", "membership", "meeting", "agendaItem", "paper", "consultation", "file",
         "locationList", "legislativeTermList")  # fmt: skip
BASE = "http://oparl.bench"


def _sync(server: OParlServer, store: SQLiteStore) -> dict[str, Any]:
    http = {"rate_limit": 0, "read_timeout": 120, "max_connections": 4}
    source = source_from_mapping({"name": "bench", "adapter": "oparl", "url": server.system_url, "http": http})
    report = run_source(source, store)
    if not report.complete:
        raise RuntimeError(f"sync incomplete: {report.errors}")
    return {k: sum(c.get(k, 0) for c in report.counts.values()) for k in ("created", "updated", "deleted")}


def _touch(server: OParlServer, fraction: float, rng: random.Random) -> int:
    """Change ``fraction`` of the listed objects at the source, as bench/server.py does."""
    listed = [oid for t in sorted(LIST_KEYS) for oid in server.dataset.ids(t)]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    chosen = rng.sample(listed, max(1, int(len(listed) * fraction)))
    for oid in chosen:
        obj = server.dataset.get(oid)
        key = "description" if "description" in obj and "name" not in obj else "name"
        server.dataset.update(oid, modified=now, **{key: f"{obj.get(key) or ''} (geändert)"})
    return len(chosen)


CPU: list[float] = []
"""CPU seconds of each timed call (``time.process_time``: steadier than wall time on a busy machine)."""


def _timed(call: Callable[[], Any]) -> float:
    t0, c0 = time.perf_counter(), time.process_time()
    call()
    CPU.append(time.process_time() - c0)
    return time.perf_counter() - t0


def first_request(args: argparse.Namespace) -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp, OParlServer(version="1.1", scale=args.scale, page_size=100) as server:
        store = SQLiteStore(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        counts = _sync(server, store)
        print(f"full sync: {time.perf_counter() - t0:.1f} s, {counts}", flush=True)
        records = sum(1 for _ in store.iter_rows(include_deleted=True))
        app = create_app(store, base_url=BASE)
        t0, c0 = time.perf_counter(), time.process_time()
        status, bodies = app.get_json("/body")
        built, built_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert status == 200, bodies
        meeting_list = bodies["data"][0]["meeting"][len(BASE) :]

        def ask() -> None:
            status, page = app.get_json(meeting_list)
            assert status == 200, page

        print(f"{records} records; the first request (/body, builds the index): {built:.3f} s, CPU {built_cpu:.3f} s")
        print(f"then the meeting list, page 1: {_timed(ask):.3f} s", flush=True)
        rows = []
        for round_no in range(1, args.repeat + 1):
            _sync(server, store)
            unchanged = _timed(ask)
            steady = _timed(ask)
            touched = _touch(server, 0.01, rng)
            counts = _sync(server, store)
            changed = _timed(ask)
            rows.append((round_no, unchanged, steady, touched, counts, changed, CPU[-3], CPU[-1]))
            print(
                f"round {round_no}: after an unchanged sync {unchanged:.3f} s (next request {steady:.3f} s); "
                f"{touched} objects changed at the source, sync {counts}, first request {changed:.3f} s",
                flush=True,
            )
        app.close()
        store.close()
    print("\n| round | first request after unchanged sync s (CPU) | next request s | changed at source | "
          "sync created/updated/deleted | first request after 1% change s (CPU) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for round_no, unchanged, steady, touched, counts, changed, cpu_unchanged, cpu_changed in rows:
        cud = f"{counts['created']}/{counts['updated']}/{counts['deleted']}"
        print(f"| {round_no} | {unchanged:.3f} ({cpu_unchanged:.3f}) | {steady:.3f} | {touched} | {cud} | "
              f"{changed:.3f} ({cpu_changed:.3f}) |")  # fmt: skip


def _walk_lists(get: Callable[[str], bytes], system_url: str) -> dict[str, int]:
    """Bytes per list (summed over bodies and pages); ``system`` and ``body`` included."""
    sizes: dict[str, int] = {}

    def pages(url: str | None, name: str) -> list[dict[str, Any]]:
        out = []
        while url:
            raw = get(url)
            sizes[name] = sizes.get(name, 0) + len(raw)
            page = json.loads(raw)
            out.append(page)
            url = page.get("links", {}).get("next")
        return out

    raw = get(system_url)
    sizes["system"] = len(raw)
    bodies = [b for page in pages(json.loads(raw)["body"], "body") for b in page["data"]]
    for body in bodies:
        for name in LISTS:
            if isinstance(body.get(name), str):
                pages(body[name], name)
    return sizes


def _source(args: argparse.Namespace) -> Any:
    if not args.real:
        return OParlServer(version="1.1", scale=args.scale, page_size=100)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.real_oparl import RealOParl  # the tests' server of real payloads

    return RealOParl(page_size=100)


def walk(args: argparse.Namespace) -> None:
    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *a: Any) -> None:
            pass

    session = requests.Session()

    def get(url: str) -> bytes:
        resp = session.get(url, timeout=300)
        resp.raise_for_status()
        return resp.content

    with tempfile.TemporaryDirectory() as tmp, _source(args) as server:
        source = _walk_lists(get, server.system_url)
        store = SQLiteStore(Path(tmp) / "walk.db")
        _sync(server, store)
        app = create_app(store)
        httpd = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            output = _walk_lists(get, f"http://127.0.0.1:{httpd.server_port}/system")
        finally:
            httpd.shutdown()
            httpd.server_close()
            store.close()
    what = "real crawl" if args.real else f"scale {args.scale}"
    print(f"{what}: bytes read by a full walk (System, Body list, every page of every list)\n")
    print("| list | source bytes | output bytes | output / source |")
    print("|---|---|---|---|")
    for name in ("system", "body", *LISTS):
        s, o = source.get(name, 0), output.get(name, 0)
        print(f"| {name} | {s:,} | {o:,} | {o / s if s else 0:.2f} |")
    s, o = sum(source.values()), sum(output.values())
    print(f"| **total** | {s:,} | {o:,} | {o / s:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("first-request", help="time of the first request after a sync")
    f.add_argument("--scale", type=float, default=1.0)
    f.add_argument("--repeat", type=int, default=2)
    w = sub.add_parser("walk", help="bytes of a full walk, source versus output")
    w.add_argument("--scale", type=float, default=0.05)
    w.add_argument("--real", action="store_true", help="the real payloads of tests/fixtures/real")
    args = parser.parse_args()
    {"first-request": first_request, "walk": walk}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
