"""Replay of Wuppertal's recorded Somacos OParl 1.0 System, Body and a Meeting with three Files.

The meeting names two organizations and a person that answer 404 and are in no list (recorded by
meine-stadt-transparent to test exactly that); they must end as missing references, while the
meeting and its files are stored. The server wrote http:// ids although it serves https.
"""

from __future__ import annotations

from pathlib import Path

from replay import RecordedServer, changes, export, last_seq, sync
from sources import WUPPERTAL, WUPPERTAL_DIR, count_raw, wuppertal, wuppertal_unresolved_references


def test_meeting_and_files_stored_missing_references_counted(tmp_path: Path) -> None:
    raw = count_raw().count_json(sorted(WUPPERTAL_DIR.glob("*.json")))
    assert raw == {"Body": 1, "File": 3, "Meeting": 1, "System": 1}
    db = tmp_path / "ris.db"
    with RecordedServer(WUPPERTAL) as server:
        url = wuppertal().serve(server)
        first = sync(db, "--oparl", url, "--name", "wuppertal")
        seq = last_seq(db)
        incremental = sync(db, "--oparl", url, "--name", "wuppertal")
        full = sync(db, "--oparl", url, "--name", "wuppertal", "--full")
        requested = server.hits()
    assert first.returncode == 0 and first.report["status"] == "complete"
    assert first.counts("Body")["created"] == raw["Body"]
    assert first.counts("Meeting")["created"] == raw["Meeting"]
    assert first.counts("File")["created"] == raw["File"]
    assert first.report["totals"]["quarantined"] == 0
    unresolved = wuppertal_unresolved_references()
    assert first.report["missing_references"] == len(unresolved) == 3
    # Each unresolved reference was asked for once (and answered 404), not guessed away.
    for ref in unresolved:
        assert requested.count(server.local(ref).replace(server.base, "")) >= 1
    meeting = export(db, "Meeting")[0]
    assert len(meeting["auxiliaryFile"]) == 3
    for run in (incremental, full):
        assert run.returncode == 0
        assert run.report["totals"]["created"] == run.report["totals"]["updated"] == 0
        assert run.report["totals"]["deleted"] == run.report["totals"]["quarantined"] == 0
    assert changes(db, seq) == []
