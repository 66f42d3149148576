"""Replay of Wuppertal's recorded Somacos OParl 1.0 System, Body and a Meeting with three Files.

The meeting names two organizations and a person that answer 404 and are in no list (recorded by
meine-stadt-transparent to test exactly that); they must end as missing references, while the
meeting and its files are stored. The server wrote http:// ids although it serves https.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.real.replay import assert_silent, export, replay_oparl
from tests.real.sources import WUPPERTAL_DIR, count_raw, wuppertal, wuppertal_unresolved_references


def test_meeting_and_files_stored_missing_references_counted(tmp_path: Path) -> None:
    raw = count_raw().count_json(sorted(WUPPERTAL_DIR.glob("*.json")))
    assert raw == {"Body": 1, "File": 3, "Meeting": 1, "System": 1}
    replay = replay_oparl(wuppertal(), "wuppertal", tmp_path / "ris.db")
    first = replay.first
    assert first.returncode == 0 and first.report["status"] == "complete"
    assert first.counts("Body")["created"] == raw["Body"]
    assert first.counts("Meeting")["created"] == raw["Meeting"]
    assert first.counts("File")["created"] == raw["File"]
    assert first.report["totals"]["quarantined"] == 0
    unresolved = wuppertal_unresolved_references()
    assert first.report["missing_references"] == len(unresolved) == 3
    # Each unresolved reference was asked for (and answered 404), not guessed away.
    for ref in unresolved:
        path = urlsplit(replay.local(ref)).path
        assert path in replay.requested, ref
    meeting = export(tmp_path / "ris.db", "Meeting")[0]
    assert len(meeting["auxiliaryFile"]) == 3
    assert_silent(replay.incremental)
    assert_silent(replay.full)
    assert replay.events_after_first == []
