"""Replay of two recorded meeting list pages of Bonn's ALLRIS 4 OParl 1.1 endpoint (40 meetings).

System and Body were not recorded; ``sources.bonn`` wraps the pages in the smallest ones. The
organizations the meetings name were not recorded either, so they end as missing references.
"""

from __future__ import annotations

from pathlib import Path

from replay import RecordedServer, changes, export, last_seq, sync
from sources import BONN, bonn, bonn_referenced_organizations, count_raw


def test_every_meeting_stored_and_unchanged_runs_are_silent(tmp_path: Path) -> None:
    raw = count_raw().count_json(
        [
            Path(p)
            for p in sorted((Path(__file__).parents[1] / "fixtures" / "real" / "bonn-allris-oparl").glob("page_*.json"))
        ]
    )
    assert raw == {"Meeting": 40}
    db = tmp_path / "ris.db"
    fixture = bonn()
    with RecordedServer(BONN) as server:
        url = fixture.serve(server)
        first = sync(db, "--oparl", url, "--name", "bonn")
        seq = last_seq(db)
        incremental = sync(db, "--oparl", url, "--name", "bonn")
        full = sync(db, "--oparl", url, "--name", "bonn", "--full")
    assert first.returncode == 0 and first.report["status"] == "complete"
    assert first.counts("Meeting")["created"] == raw["Meeting"]
    assert first.report["totals"]["quarantined"] == 0
    organizations = bonn_referenced_organizations()
    assert first.report["missing_references"] == len(organizations) == 35
    assert first.warnings() == {"oparl-vendor": 1, "oparl-q15-unlisted-reference": len(organizations)}
    assert {m["id"] for m in export(db, "Meeting")} == {
        server.local(m) for m in (f"{BONN}/public/oparl/meetings?id={i}" for i in _recorded_ids())
    }
    # ALLRIS 4 incremental strategy: newest pages from links.last back to known ids.
    assert incremental.returncode == 0, incremental.report.get("errors")
    assert "oparl-q28-newest-pages" in incremental.warnings()
    assert full.returncode == 0
    for run in (incremental, full):
        assert run.report["totals"]["created"] == run.report["totals"]["updated"] == 0
        assert run.report["totals"]["deleted"] == run.report["totals"]["quarantined"] == 0
    assert changes(db, seq) == []


def _recorded_ids() -> list[str]:
    import json

    folder = Path(__file__).parents[1] / "fixtures" / "real" / "bonn-allris-oparl"
    return [
        m["id"].rsplit("=", 1)[1]
        for n in (1, 2)
        for m in json.loads((folder / f"page_{n}.json").read_text(encoding="utf-8"))["data"]
    ]
