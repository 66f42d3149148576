"""Replay of Karlsruhe's Somacos OParl 1.1 objects (9 meetings, 11 papers, 97 organizations, 275
consultations) and of a meeting recorded at two dates whose only difference is ``modified``.

The objects were saved by the Karlsruhe syndication project (keys sorted by it, content the
server's); ``sources.karlsruhe`` serves each list as one page behind a synthetic System and Body.
"""

from __future__ import annotations

from pathlib import Path

from tests.real.replay import REAL, RecordedServer, assert_silent, changes, export, last_seq, replay_oparl, sync
from tests.real.sources import KARLSRUHE, count_raw, karlsruhe, karlsruhe_meetings_ending_before_start

HISTORY = REAL / "karlsruhe-somacos-oparl" / "history"


def test_every_object_stored_and_unchanged_runs_are_silent(tmp_path: Path) -> None:
    raw = count_raw().count_json(sorted((REAL / "karlsruhe-somacos-oparl" / "docs").rglob("*.json")))
    assert raw == {
        "AgendaItem": 12,
        "Consultation": 275,
        "File": 65,
        "Location": 40,
        "Meeting": 9,
        "Organization": 97,
        "Paper": 11,
    }
    replay = replay_oparl(karlsruhe(), "karlsruhe", tmp_path / "ris.db")
    first = replay.first
    assert first.returncode == 0 and first.report["status"] == "complete"
    for type_name, count in raw.items():
        assert first.counts(type_name)["created"] == count, type_name
    assert first.report["totals"]["quarantined"] == 0
    # Somacos writes end = 00:00 of the meeting day when no end is known: counted, end dropped.
    assert first.warnings()["meeting-end-before-start"] == karlsruhe_meetings_ending_before_start() == 7
    assert {"oparl-vendor", "oparl-q21-unencoded-query", "oparl-q15-unlisted-reference"} <= set(first.warnings())
    assert_silent(replay.incremental)
    assert_silent(replay.full)
    assert replay.events_after_first == []


def test_meeting_restamped_modified_is_no_news(tmp_path: Path) -> None:
    """Meeting 10731 on 2025-10-27 and 2026-08-18: only ``modified`` (and its Location's) moved."""
    db = tmp_path / "ris.db"
    older = {"10731.json": HISTORY / "meetings-10731-098e8b20.json"}
    with RecordedServer(KARLSRUHE) as server:
        url = karlsruhe(older).serve(server)
        assert sync(db, "--oparl", url, "--name", "karlsruhe").returncode == 0
        seq = last_seq(db)
        karlsruhe().serve(server)  # the same URLs now answer the later recording
        newer = sync(db, "--oparl", url, "--name", "karlsruhe", "--full")
        meeting_id = server.local(KARLSRUHE + "/oparl/bodies/0001/meetings/10731")
    assert newer.returncode == 0
    assert meeting_id in {m["id"] for m in export(db, "Meeting")}
    assert newer.counts("Meeting") == {"created": 0, "updated": 0, "unchanged": 9, "deleted": 0, "quarantined": 0}
    assert changes(db, seq) == []
    # The two recordings differ, and only in the ``modified`` stamps (checked on the raw text).
    old_text = (HISTORY / "meetings-10731-098e8b20.json").read_text(encoding="utf-8")
    new_text = (REAL / "karlsruhe-somacos-oparl" / "docs" / "meetings" / "10731.json").read_text(encoding="utf-8")
    assert old_text != new_text
    assert old_text.replace("2025-10-27T11:03:34+01:00", "X") == new_text.replace(
        "2025-10-27T11:03:34+01:00", "X"
    ).replace("2026-08-18T16:14:20+02:00", "X")
