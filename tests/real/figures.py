"""Print today's replay figures for every recorded source (the table in tests/fixtures/real/README.md).

``python -m tests.real.figures`` syncs each source twice (second run unchanged) into a fresh
SQLite file through the CLI and prints raw counts next to what was stored; then the versioned
Iserlohn feeds version by version. Run it again after the i13 fixes are merged to refresh the table.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from tests.real.replay import REAL, RecordedServer, changes, last_seq, sync
from tests.real.sources import (
    BONN,
    KARLSRUHE,
    WUPPERTAL,
    bonn,
    count_raw,
    karlsruhe,
    wuppertal,
)
from tests.real.versions import ics_versions
from tests.support.ics_server import IcsServer


def _summary(first: Any, second: Any, second_events: int) -> dict[str, Any]:
    return {
        "exit": [first.returncode, second.returncode],
        "stored": {t: c["created"] for t, c in first.report["counts"].items()},
        "quarantined": first.report["totals"]["quarantined"],
        "notices": first.warnings(),
        "missing_references": first.report.get("missing_references"),
        "second_run": {k: second.report["totals"][k] for k in ("created", "updated", "deleted")},
        "second_run_events": second_events,
    }


def ics_source(path: Path, name: str) -> dict[str, Any]:
    with IcsServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.put("/feed.ics", path.read_bytes())
        db = Path(tmp) / "ris.db"
        first = sync(db, "--ics", server.url("/feed.ics"), "--name", name)
        seq = last_seq(db)
        second = sync(db, "--ics", server.url("/feed.ics"), "--name", name)
        return {"raw": count_raw().count_ics(path), **_summary(first, second, len(changes(db, seq)))}


def oparl_source(fixture: Any, origin: str, name: str, raw_paths: list[Path]) -> dict[str, Any]:
    with RecordedServer(origin) as server, tempfile.TemporaryDirectory() as tmp:
        url = fixture.serve(server)
        db = Path(tmp) / "ris.db"
        first = sync(db, "--oparl", url, "--name", name)
        seq = last_seq(db)
        second = sync(db, "--oparl", url, "--name", name)
        return {"raw": count_raw().count_json(raw_paths), **_summary(first, second, len(changes(db, seq)))}


def versions(folder: Path) -> list[dict[str, Any]]:
    paths = sorted(folder.glob("*.ics"))
    with tempfile.TemporaryDirectory() as tmp:
        runs = ics_versions(Path(tmp) / "ris.db", paths)
    return [{"version": p.stem, "today": today, "truth": truth} for p, (today, truth) in zip(paths, runs, strict=True)]


def main() -> None:
    feeds = REAL / "iserlohn-allris-ics"
    report = {
        "iserlohn-allris-ics (alle, 2025-11-05)": ics_source(feeds / "alle" / "2025-11-05.ics", "iserlohn"),
        "teststadt-sdnet-ics": ics_source(REAL / "teststadt-sdnet-ics" / "ics_sample.ics", "teststadt"),
        "bonn-allris-oparl": oparl_source(bonn(), BONN, "bonn", sorted((REAL / "bonn-allris-oparl").glob("*.json"))),
        "karlsruhe-somacos-oparl": oparl_source(
            karlsruhe(), KARLSRUHE, "karlsruhe", sorted((REAL / "karlsruhe-somacos-oparl" / "docs").rglob("*.json"))
        ),
        "wuppertal-somacos-oparl": oparl_source(
            wuppertal(), WUPPERTAL, "wuppertal", sorted((REAL / "wuppertal-somacos-oparl").glob("*.json"))
        ),
        "versions: iserlohn alle": versions(feeds / "alle"),
        "versions: iserlohn rat": versions(feeds / "rat"),
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
