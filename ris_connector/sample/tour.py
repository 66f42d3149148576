"""The demo's council: the sample data dated around one day, and what the council then changes.

``ris-connector demo`` must show something in every output whenever it is run: reminders and
the Smart Village sink look at the days ahead, the change feed's notifications need a change
after the initial load. :func:`tour` therefore generates the sample council with its clock at
midnight (Europe/Berlin) of a given day and moves its next meetings to fixed days after it
(:data:`PROGRAM_DAYS`); the same day always gives the same data. :meth:`Tour.change` is what the
council does before the demo syncs a second time: a meeting cancelled, one moved, one moved to
another room, a new motion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from ris_connector.sample.dataset import BERLIN, Dataset
from ris_connector.sample.generator import generate

#: Days after the anchor day on which the next meetings take place: tomorrow, then in 3, 8 and 15
#: days (or the next Monday to Thursday after that).
PROGRAM_DAYS = (1, 3, 8, 15)
#: Days before a meeting on which its invitation is dated.
INVITATION_LEAD = timedelta(days=10)


@dataclass
class Tour:
    """The demo's dataset and the ids of the meetings moved to :data:`PROGRAM_DAYS`, in that order."""

    dataset: Dataset
    program: list[str] = field(default_factory=list)

    def change(self, at: datetime) -> list[str]:
        """Apply the council's changes, stamped from ``at`` on; return what changed, one line each.

        ``at`` must be later than the last sync's start (the real time), so that an
        incremental run, which asks for what was modified since then, sees the changes.
        """
        ds, done = self.dataset, []
        stamps = (at + timedelta(seconds=i) for i in range(1, 100))
        if len(self.program) > 2:
            meeting = ds.update(self.program[2], cancelled=True, meetingState="abgesagt", modified=next(stamps))
            done.append(f"cancelled: {meeting['name']}")
        if len(self.program) > 3:
            meeting = ds.get(self.program[3])
            start = datetime.fromisoformat(meeting["start"])
            moved = datetime.combine(start.date() + timedelta(days=1), time(18, 0), BERLIN)
            end = moved + (datetime.fromisoformat(meeting["end"]) - start)
            ds.update(self.program[3], start=moved.isoformat(), end=end.isoformat(), modified=next(stamps))
            done.append(f"moved: {meeting['name']} to {moved:%Y-%m-%d %H:%M}")
        if len(self.program) > 1:
            meeting = ds.get(self.program[1])
            rooms = [r for r in ds.ids("Location") if ds.get(r).get("room") and r != meeting.get("location")]
            if rooms:
                ds.update(self.program[1], location=rooms[0], modified=next(stamps))
                done.append(f"moved to {ds.get(rooms[0])['room']}: {meeting['name']}")
        day = at.astimezone(BERLIN).date()
        paper = {
            "type": "Paper",
            "body": ds.bodies[0],
            "name": "Antrag: Mehr Fahrradständer am Rathausplatz",
            "reference": f"{day.year}/9001",
            "date": day.isoformat(),
            "paperType": "Antrag",
            "consultation": [],
            "auxiliaryFile": [],
        }
        ds.add(paper, modified=next(stamps))
        done.append(f"new paper: {paper['name']}")
        return done


def tour(base_url: str, day: date, *, scale: float = 0.02, version: str = "1.1") -> Tour:
    """The sample council dated on ``day``: deterministic for a given day, base URL and scale."""
    ds = generate(base_url, scale=scale, version=version, now=datetime.combine(day, time(0, 0), BERLIN))
    upcoming = sorted(
        (m for m in ds.ids("Meeting") if _is_upcoming(ds.get(m), ds.now)),
        key=lambda m: datetime.fromisoformat(ds.get(m)["start"]),
    )
    program = upcoming[: len(PROGRAM_DAYS)]
    for meeting_id, days in zip(program, PROGRAM_DAYS, strict=False):
        target = day + timedelta(days=days)
        while days > 1 and target.weekday() > 3:  # councils meet Monday to Thursday; tomorrow stays tomorrow
            target += timedelta(days=1)
        _move(ds, ds.get(meeting_id), target)
    return Tour(ds, program)


def _is_upcoming(meeting: dict[str, Any], now: datetime) -> bool:
    return (
        datetime.fromisoformat(meeting["start"]) > now
        and not meeting.get("cancelled")
        and meeting.get("meetingState") != "verschoben"
    )


def _move(ds: Dataset, meeting: dict[str, Any], day: date) -> None:
    """Put ``meeting`` on ``day`` at its hour; its state and invitation date follow (no new stamps)."""
    start = datetime.fromisoformat(meeting["start"])
    moved = datetime.combine(day, start.astimezone(BERLIN).time(), BERLIN)
    meeting["end"] = (moved + (datetime.fromisoformat(meeting["end"]) - start)).isoformat()
    meeting["start"] = moved.isoformat()
    meeting["meetingState"] = "eingeladen" if (day - ds.now.date()).days <= 14 else "geplant"
    invitation = meeting.get("invitation")
    if isinstance(invitation, str):
        ds.get(invitation)["date"] = (day - INVITATION_LEAD).isoformat()
