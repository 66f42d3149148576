"""Cost of the operator views on a synced sample town: a metrics scrape (first and repeated),
the status pages, and a check of the same server.

    python bench/ops.py [--scale 0.1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from prometheus_client import generate_latest

from ris_connector.check import check_url, to_html
from ris_connector.config import source_from_mapping
from ris_connector.http import HttpSettings
from ris_connector.metrics import StoreCollector, registry_for
from ris_connector.outputs.statuspage import StatusPage
from ris_connector.outputs.statuspage.render import Paths
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source


def timed(label: str, fn: object) -> object:
    t0 = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"{label:<40} {time.perf_counter() - t0:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, OParlServer(scale=args.scale) as srv:
        store = SQLiteStore(Path(tmp) / "b.db")
        config = source_from_mapping(
            {"name": "town", "adapter": "oparl", "url": srv.system_url, "http": {"rate_limit": 0}}
        )
        report = timed("full sync", lambda: run_source(config, store))
        print(f"records: {sum(report.total(k) for k in ('created',))}")  # type: ignore[attr-defined]
        registry = registry_for(StoreCollector(store))
        text = timed("metrics scrape (first)", lambda: generate_latest(registry))
        timed("metrics scrape (again, nothing changed)", lambda: generate_latest(registry))
        print(f"metrics bytes: {len(text)}")  # type: ignore[arg-type]
        page = StatusPage(store, now=lambda: datetime.now(timezone.utc))
        timed("status overview", lambda: page.route(["status"], Paths("")))
        timed("status source page", lambda: page.route(["status", "source", "town"], Paths("")))
        store.close()
        result = timed(
            "check (walk + sync + probes)", lambda: check_url(srv.system_url, http=HttpSettings(rate_limit=0), pause=0)
        )
        html = to_html(result)  # type: ignore[arg-type]
        print(f"check report html bytes: {len(html)}")


if __name__ == "__main__":
    main()
