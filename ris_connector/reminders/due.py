"""Meetings and appointments starting within a lead time, each reminded once (kv marks)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ris_connector.clock import Clock, SystemClock
from ris_connector.describe import committee_name, location_of, location_text, meeting_title
from ris_connector.models import Appointment, AppointmentStatus, Meeting, MeetingStatus
from ris_connector.reminders.wording import appointment_message, meeting_message
from ris_connector.store import Store

#: kv namespace of sent marks; the key is ``<record id>|<start>``, so a moved meeting is reminded again.
SENT_NAMESPACE = "reminders.sent"

#: Meetings in these states get no reminder: cancelled, or postponed to a date not yet known.
_NO_REMINDER = frozenset({MeetingStatus.CANCELLED, MeetingStatus.POSTPONED})


@dataclass(frozen=True)
class Reminder:
    """One reminder. For appointments only ids and times: they may be personal data."""

    kind: str  # meeting | appointment
    record_id: str
    start: datetime
    end: datetime | None
    message: str
    title: str | None = None
    place: str | None = None
    web: str | None = None

    @property
    def key(self) -> str:
        """Once-only mark: the record at this start time."""
        return f"{self.record_id}|{self.start.isoformat()}"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON line of ``ris-connector reminders``."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "id": self.record_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "message": self.message,
            "key": self.key,
        }
        if self.kind == "meeting":
            data.update(title=self.title, place=self.place, web=self.web)
        return data


class Reminders:
    """Finds due reminders; :meth:`take` yields each one once and marks it."""

    def __init__(
        self,
        store: Store,
        *,
        within: timedelta = timedelta(hours=24),
        clock: Clock | None = None,
        source: str | None = None,
    ) -> None:
        self.store = store
        self.within = within
        self.clock = clock or SystemClock()
        self.source = source

    def due(self) -> list[Reminder]:
        """Reminders for records starting in ``[now, now + within]`` not yet marked sent, by start."""
        now = self.clock.now()
        until = now + self.within
        sent = self.store.kv_items(SENT_NAMESPACE)
        out = [r for r in self._candidates(now, until) if r.key not in sent]
        return sorted(out, key=lambda r: (r.start, r.record_id))

    def _candidates(self, now: datetime, until: datetime) -> Iterator[Reminder]:
        for row in self.store.iter_rows(type_name="Meeting", source=self.source):
            start = row.data.get("start")
            if not start:
                continue
            meeting = row.to_record()
            assert isinstance(meeting, Meeting)
            if meeting.start is None or not now <= meeting.start <= until or meeting.status in _NO_REMINDER:
                continue
            title = committee_name(self.store, meeting) or meeting_title(self.store, meeting)
            yield Reminder(
                kind="meeting",
                record_id=meeting.id,
                start=meeting.start,
                end=meeting.end,
                message=meeting_message(title, meeting.start, now),
                title=meeting_title(self.store, meeting),
                place=location_text(location_of(self.store, meeting)),
                web=meeting.web,
            )
        for row in self.store.iter_rows(type_name="Appointment", source=self.source):
            appointment = row.to_record()
            assert isinstance(appointment, Appointment)
            start = appointment.start
            if start is None or not now <= start <= until or appointment.status == AppointmentStatus.CANCELLED:
                continue
            yield Reminder(
                kind="appointment",
                record_id=appointment.id,
                start=start,
                end=appointment.end,
                message=appointment_message(start, now, all_day=appointment.all_day),
            )

    def mark_sent(self, reminder: Reminder) -> None:
        """Remember that ``reminder`` went out; it is not yielded again."""
        self.store.kv_set(SENT_NAMESPACE, reminder.key, self.clock.now().isoformat())

    def take(self) -> Iterator[Reminder]:
        """Yield each due reminder and mark it once the caller asks for the next (at least once)."""
        for reminder in self.due():
            yield reminder
            self.mark_sent(reminder)
