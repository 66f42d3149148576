"""Replay of an SD.NET RIM (Sternberg) iCalendar export: 250 meetings, one 'does not take place'.

The recording was anonymised by the repository that published it ("Teststadt"); structure, tokens
and texts are SD.NET RIM's (tests/fixtures/real/teststadt-sdnet-ics/PROVENANCE.md).
"""

from __future__ import annotations

from pathlib import Path

from tests.real.replay import REAL, changes, export, last_seq, sync
from tests.real.sources import count_raw
from tests.support.ics_server import IcsServer

FEED = REAL / "teststadt-sdnet-ics" / "ics_sample.ics"
PATH = "/sdnetrim/ical.ics"


def _sync_twice(tmp_path: Path) -> tuple[Path, list[dict[str, int]], int]:
    db = tmp_path / "ris.db"
    with IcsServer() as server:
        server.put(PATH, FEED.read_bytes())
        first = sync(db, "--ics", server.url(PATH), "--name", "teststadt")
        seq = last_seq(db)
        second = sync(db, "--ics", server.url(PATH), "--name", "teststadt")
    assert first.returncode == second.returncode == 0
    # The export ends its lines with a bare LF and puts an empty line after every event; both
    # are read as they are meant and counted (docs/sources/icalendar.md).
    assert first.warnings() == second.warnings() == _line_repairs()
    return db, [first.report["totals"], second.report["totals"]], seq


def _line_repairs() -> dict[str, int]:
    data = FEED.read_bytes()
    blank = sum(1 for line in data.split(b"\n") if not line.strip())
    return {"ics-line-ends": data.count(b"\n") - data.count(b"\r\n"), "ics-blank-line": blank}


def test_every_event_stored_and_second_run_is_silent(tmp_path: Path) -> None:
    raw = count_raw().count_ics(FEED)
    assert raw["VEVENT"] == raw["distinct_UID"] == 250 and raw["distinct_LOCATION"] == 3
    db, (first, second), seq = _sync_twice(tmp_path)
    assert first["created"] == raw["VEVENT"] + raw["distinct_LOCATION"]
    assert first["quarantined"] == 0
    assert len(export(db, "Meeting")) == raw["VEVENT"]
    assert second["created"] == second["updated"] == second["deleted"] == 0
    assert changes(db, seq) == []
    # The four "Bemerkung" texts (one with an escaped line break) survive whole.
    remarks = [m for m in export(db, "Meeting") if "Bemerkung:" in (m.get("description") or "")]
    assert len(remarks) == 4
    livestream = next(m for m in remarks if m["id"].endswith(":2026025432"))
    assert livestream["description"].endswith("kurz vor Sitzungsbeginn freigeschaltet.")


def test_meeting_that_does_not_take_place_is_cancelled(tmp_path: Path) -> None:
    db, _, _ = _sync_twice(tmp_path)
    meeting = next(m for m in export(db, "Meeting") if m["id"].endswith(":2024104796"))
    assert meeting["status"] == "cancelled"
