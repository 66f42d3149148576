"""Replay of two recorded meeting list pages of Bonn's ALLRIS 4 OParl 1.1 endpoint (40 meetings).

System and Body were not recorded; ``sources.bonn`` wraps the pages in the smallest ones. The
organizations the meetings name were not recorded either, so they end as missing references.
"""

from __future__ import annotations

from pathlib import Path

from tests.real.replay import assert_silent, export, replay_oparl
from tests.real.sources import BONN, bonn, bonn_referenced_organizations, count_raw


def test_every_meeting_stored_and_unchanged_runs_are_silent(tmp_path: Path) -> None:
    raw = count_raw().count_json(
        [
            Path(p)
            for p in sorted((Path(__file__).parents[1] / "fixtures" / "real" / "bonn-allris-oparl").glob("page_*.json"))
        ]
    )
    assert raw == {"Meeting": 40}
    replay = replay_oparl(bonn(), "bonn", tmp_path / "ris.db")
    first = replay.first
    assert first.returncode == 0 and first.report["status"] == "complete"
    assert first.counts("Meeting")["created"] == raw["Meeting"]
    assert first.report["totals"]["quarantined"] == 0
    organizations = bonn_referenced_organizations()
    assert first.report["missing_references"] == len(organizations) == 35
    assert first.warnings() == {"oparl-vendor": 1, "oparl-q15-unlisted-reference": len(organizations)}
    assert {m["id"] for m in export(tmp_path / "ris.db", "Meeting")} == {
        replay.local(f"{BONN}/public/oparl/meetings?id={i}") for i in _recorded_ids()
    }
    # ALLRIS 4 incremental strategy: newest pages from links.last back to known ids.
    assert "oparl-q28-newest-pages" in replay.incremental.warnings()
    assert_silent(replay.incremental)
    assert_silent(replay.full)
    assert replay.events_after_first == []


def _recorded_ids() -> list[str]:
    import json

    folder = Path(__file__).parents[1] / "fixtures" / "real" / "bonn-allris-oparl"
    return [
        m["id"].rsplit("=", 1)[1]
        for n in (1, 2)
        for m in json.loads((folder / f"page_{n}.json").read_text(encoding="utf-8"))["data"]
    ]
