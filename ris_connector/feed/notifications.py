"""Notifications an app pushes, derived from change events: cancelled, moved, new paper, ..."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from ris_connector.describe import location_of, location_text, meeting_title
from ris_connector.models import Meeting, MeetingStatus, Paper
from ris_connector.store import ChangeEvent, Store


class NotificationKind(str, Enum):
    """What happened, in the words of a push notification."""

    MEETING_CANCELLED = "meeting.cancelled"
    MEETING_MOVED = "meeting.moved"
    MEETING_RELOCATED = "meeting.relocated"
    INVITATION_PUBLISHED = "meeting.invitation_published"
    PROTOCOL_PUBLISHED = "meeting.protocol_published"
    PAPER_CREATED = "paper.created"


#: Location fields whose change moves a meeting to another place.
_PLACE_FIELDS = frozenset({"description", "room", "streetAddress", "postalCode", "locality", "subLocality"})


@dataclass(frozen=True)
class Notification:
    """One derived event: ``kind`` of record ``record_id``, with what an app shows."""

    kind: NotificationKind
    record_id: str
    type: str
    title: str
    when: datetime | None
    idempotency_key: str
    seq: int
    source: str
    details: dict[str, Any] = field(default_factory=dict)
    """Old and new values where they matter (``start`` for moved, ``location`` for relocated)."""

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form, as the webhook sends it."""
        return {
            "kind": self.kind.value,
            "id": self.record_id,
            "type": self.type,
            "title": self.title,
            "when": self.when.isoformat() if self.when else None,
            "idempotencyKey": self.idempotency_key,
            "seq": self.seq,
            "source": self.source,
            "details": self.details,
        }


class Deriver:
    """Turns change events into notifications, reading current records from the store.

    Events of a source's first run (the initial load) yield none: a first sync of ten years of
    papers is history, not news.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._first_run: dict[str, int | None] = {}

    def _initial_load(self, event: ChangeEvent) -> bool:
        if event.source not in self._first_run:
            runs = self.store.runs(event.source, limit=1_000_000)
            self._first_run[event.source] = min((r.run_id for r in runs), default=None)
        first = self._first_run[event.source]
        return event.run_id is not None and first is not None and event.run_id <= first

    def derive(self, event: ChangeEvent) -> list[Notification]:
        """The notifications ``event`` gives rise to (often none)."""
        if self._initial_load(event) or event.kind == "deleted":
            return []
        if event.type == "Meeting":
            return self._meeting(event)
        if event.type == "Paper" and event.kind == "created":
            return self._paper(event)
        if event.type == "Location" and event.kind == "updated" and _PLACE_FIELDS & set(event.fields):
            return self._location(event)
        return []

    def _make(
        self, event: ChangeEvent, kind: NotificationKind, record: Meeting | Paper, title: str, **details: Any
    ) -> Notification:
        when = record.start if isinstance(record, Meeting) else None
        return Notification(
            kind=kind,
            record_id=record.id,
            type=record.type,
            title=title,
            when=when,
            idempotency_key=f"{event.source}:{event.seq}:{kind.value}:{record.id}",
            seq=event.seq,
            source=event.source,
            details=details,
        )

    def _meeting(self, event: ChangeEvent) -> list[Notification]:
        row = self.store.get(event.id)
        if row is None or row.deleted:
            return []
        meeting = row.to_record()
        assert isinstance(meeting, Meeting)
        title = meeting_title(self.store, meeting)
        out: list[Notification] = []
        if event.kind == "created":
            # A new upcoming meeting published together with its invitation.
            if meeting.invitation and meeting.start and meeting.start > _at(event):
                out.append(self._make(event, NotificationKind.INVITATION_PUBLISHED, meeting, title))
            return out
        ch = event.changes
        if "status" in ch and ch["status"][1] == MeetingStatus.CANCELLED.value:
            out.append(self._make(event, NotificationKind.MEETING_CANCELLED, meeting, title))
        if "start" in ch and ch["start"][0] and ch["start"][1]:
            out.append(
                self._make(event, NotificationKind.MEETING_MOVED, meeting, title, start=ch["start"], end=ch.get("end"))
            )
        if "location" in ch and ch["location"][1]:
            old = self.store.get(ch["location"][0]) if ch["location"][0] else None
            place = location_text(location_of(self.store, meeting))
            old_place = location_text(old.to_record()) if old is not None and old.type == "Location" else None  # type: ignore[arg-type]
            out.append(
                self._make(event, NotificationKind.MEETING_RELOCATED, meeting, title, location=[old_place, place])
            )
        if "invitation" in ch and not ch["invitation"][0] and ch["invitation"][1]:
            out.append(self._make(event, NotificationKind.INVITATION_PUBLISHED, meeting, title))
        if "resultsProtocol" in ch and not ch["resultsProtocol"][0] and ch["resultsProtocol"][1]:
            out.append(self._make(event, NotificationKind.PROTOCOL_PUBLISHED, meeting, title))
        return out

    def _paper(self, event: ChangeEvent) -> list[Notification]:
        row = self.store.get(event.id)
        if row is None or row.deleted:
            return []
        paper = row.to_record()
        assert isinstance(paper, Paper)
        title = " ".join(x for x in (paper.reference, paper.name) if x) or "Neue Vorlage"
        return [self._make(event, NotificationKind.PAPER_CREATED, paper, title, paperType=paper.paper_type)]

    def _location(self, event: ChangeEvent) -> list[Notification]:
        """A changed address of a place: every upcoming meeting held there is relocated."""
        place = [_place(event.changes, 0), _place(event.changes, 1)]
        out: list[Notification] = []
        for meeting in _upcoming_at(self.store, event.id, _at(event)):
            details = {"location": place}
            out.append(
                self._make(
                    event, NotificationKind.MEETING_RELOCATED, meeting, meeting_title(self.store, meeting), **details
                )
            )
        return out


def _place(changes: dict[str, list[Any]], index: int) -> str | None:
    if "description" in changes:
        value = changes["description"][index]
        return str(value) if value else None
    parts = [str(v[index]) for k, v in sorted(changes.items()) if k in _PLACE_FIELDS and v[index]]
    return ", ".join(parts) or None


def _at(event: ChangeEvent) -> datetime:
    """When the event was recorded, as an aware datetime (UTC if the text has no offset)."""
    at = datetime.fromisoformat(event.at.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _upcoming_at(store: Store, location_id: str, at: datetime) -> Iterable[Meeting]:
    for row in store.iter_rows(type_name="Meeting"):
        if row.data.get("location") != location_id:
            continue
        meeting = row.to_record()
        assert isinstance(meeting, Meeting)
        if meeting.start and meeting.start > at and meeting.status != MeetingStatus.CANCELLED:
            yield meeting
