"""Reminders: due meetings and appointments, once each, German wording in Berlin time.

Appointments are written into the store directly (a real SQLite file): this branch has no
calendar adapter yet, and the reminder logic reads only the store.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.models import Appointment, AppointmentStatus, Meeting, MeetingStatus, Provenance
from ris_connector.reminders import Reminders, appointment_message, meeting_message
from ris_connector.store import SQLiteStore, WriteBatch
from tests.support.appchanges import start_app_server
from tests.support.ristest import OParlFactory, sync

BERLIN = ZoneInfo("Europe/Berlin")


def _add_appointments(store: SQLiteStore, *items: tuple[str, datetime, AppointmentStatus]) -> None:
    now = datetime.now(timezone.utc)
    run = store.start_run("termine", "ics", full=True, started=now.isoformat())
    batch = WriteBatch(source="termine", run_id=run, now=now.isoformat())
    for native, start, status in items:
        rec = Appointment(
            id=f"urn:ris:termine:Appointment:{native}",
            name="Beratung Wohngeld, Erika Mustermann",
            description="Antrag auf Wohngeld für Familie Mustermann",
            service="Wohngeld",
            organizer="Bürgerbüro",
            start=start,
            end=start + timedelta(minutes=30),
            status=status,
            provenance=Provenance(source="termine", adapter="ics", fetched_at=now),
        )
        batch.upserts.append((rec.id, rec.TYPE, rec.content_hash(), json.dumps(rec.to_json_dict()), False))
    store.apply(batch)


def _start(meeting: Meeting) -> datetime:
    assert meeting.start is not None, meeting.id
    return meeting.start


def test_wording_follows_berlin_local_dates() -> None:
    # 00:30 in Berlin is still the previous day in UTC: "heute", not "morgen".
    now = datetime(2026, 3, 28, 0, 30, tzinfo=BERLIN)
    assert meeting_message("Ausschuss für Umwelt", datetime(2026, 3, 28, 18, 0, tzinfo=BERLIN), now) == (
        "Ausschuss für Umwelt heute 18 Uhr"
    )
    # Across the switch to summer time (29 March 2026): local wall-clock time, "morgen".
    evening = datetime(2026, 3, 28, 20, 0, tzinfo=BERLIN)
    start = datetime(2026, 3, 29, 15, 30, tzinfo=timezone.utc)  # 17:30 CEST
    assert meeting_message("Stadtrat", start, evening) == "Stadtrat morgen 17:30 Uhr"
    monday = datetime(2026, 3, 23, 9, 0, tzinfo=BERLIN)
    assert meeting_message("Bauausschuss", datetime(2026, 3, 26, 17, 0, tzinfo=BERLIN), monday) == (
        "Bauausschuss am Donnerstag 17 Uhr"
    )
    assert appointment_message(datetime(2026, 3, 24, 10, 30, tzinfo=BERLIN), monday) == "Ihr Termin morgen 10:30 Uhr"


def test_due_reminders_once_each_without_cancelled_and_without_personal_data(
    oparl_server: OParlFactory, store: SQLiteStore
) -> None:
    server = start_app_server(oparl_server)
    sync(server, store)
    now = datetime.now(timezone.utc)
    meetings = sorted(
        (
            m
            for m in (r.to_record() for r in store.iter_rows(type_name="Meeting"))
            if isinstance(m, Meeting)
            and m.start
            and m.start > now
            and m.status not in (MeetingStatus.CANCELLED, MeetingStatus.POSTPONED)
        ),
        key=_start,
    )
    first, second = meetings[0], meetings[1]
    start = _start(first)
    clock = FixedClock(start - timedelta(hours=20))
    _add_appointments(
        store,
        ("a1", start - timedelta(hours=2), AppointmentStatus.CONFIRMED),
        ("a2", start - timedelta(hours=1), AppointmentStatus.CANCELLED),
        ("a3", start + timedelta(days=3), AppointmentStatus.CONFIRMED),
    )
    reminders = Reminders(store, within=timedelta(hours=24), clock=clock)
    due = reminders.due()
    assert [(r.kind, r.record_id) for r in due] == [
        ("appointment", "urn:ris:termine:Appointment:a1"),
        ("meeting", first.id),
    ] + ([("meeting", second.id)] if _start(second) <= clock.now() + timedelta(hours=24) else [])
    meeting = next(r for r in due if r.record_id == first.id)
    committee = store.get(first.organization[0]).data["name"]
    local = start.astimezone(BERLIN)
    hour = f"{local.hour} Uhr" if local.minute == 0 else f"{local.hour}:{local.minute:02d} Uhr"
    day = "heute" if local.date() == clock.now().astimezone(BERLIN).date() else "morgen"
    assert meeting.message == f"{committee} {day} {hour}"
    assert meeting.to_json_dict()["web"] == first.web and meeting.place
    appointment = next(r for r in due if r.kind == "appointment").to_json_dict()
    assert set(appointment) == {"kind", "id", "start", "end", "message", "key"}
    assert appointment["message"].startswith("Ihr Termin ")
    assert "Mustermann" not in json.dumps([r.to_json_dict() for r in due])

    taken = list(reminders.take())
    assert [r.key for r in taken] == [r.key for r in due]
    assert reminders.due() == [] and list(reminders.take()) == []

    # Moved into the window again at another time: a new reminder. Cancelled: none.
    server.dataset.update(
        first.id,
        start=(start + timedelta(hours=2)).isoformat(),
        modified=datetime.now(timezone.utc).replace(microsecond=0),
    )
    sync(server, store)
    assert [r.record_id for r in reminders.due()] == [first.id]
    server.dataset.update(
        first.id, cancelled=True, meetingState="abgesagt", modified=datetime.now(timezone.utc).replace(microsecond=0)
    )
    sync(server, store)
    assert reminders.due() == []


def test_cli_prints_json_lines_once(
    oparl_server: OParlFactory, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    server = start_app_server(oparl_server)
    sync(server, store)
    soon = datetime.now(timezone.utc) + timedelta(hours=3)
    _add_appointments(store, ("b1", soon, AppointmentStatus.SCHEDULED))
    assert main(["reminders", "--db", store.path, "--within", "400d", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [line["kind"] for line in lines]
    assert kinds[0] == "appointment" and kinds.count("meeting") >= 2
    assert lines[0]["id"] == "urn:ris:termine:Appointment:b1" and "title" not in lines[0]
    assert all(line["message"] for line in lines)
    assert main(["reminders", "--db", store.path, "--within", "400d", "--json"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["reminders", "--db", store.path, "--within", "soon"]) == 2
