"""From one iCalendar event to normalized records.

``kind = "meetings"`` (RIS calendars such as ALLRIS 4 ``/public/ics/SiKalAbo.ics``) gives a
:class:`~ris_connector.models.Meeting`; ``kind = "appointments"`` (booking systems) gives an
:class:`~ris_connector.models.Appointment`. Both get a :class:`~ris_connector.models.Location`
for the LOCATION text. Field by field:

=============== ===================================== ==========================================
iCalendar        Meeting                               Appointment
=============== ===================================== ==========================================
UID              id ``urn:ris:<source>:Meeting:<UID>`` id ``urn:ris:<source>:Appointment:<UID>``
SUMMARY          name (also read for "entfällt", ...)  name (also read for "abgesagt", ...)
DTSTART/DTEND    start/end (placeholder end dropped)   start/end, all_day for VALUE=DATE
STATUS           meeting_state, cancelled, status      status
LOCATION         location (Location id)                location, location_text
GEO              the Location's geojson Point          the Location's geojson Point
URL              web                                   web
DESCRIPTION      description                           description
CATEGORIES       keyword                               keyword; the first one is ``service``
ORGANIZER        -                                     organizer (CN, else the address)
=============== ===================================== ==========================================

Values are read through :class:`EventReader`: a value that cannot be read (a GEO that is no
``lat;lon``, a URL that is no http(s) URL, an ORGANIZER without name or address) is dropped
and counted as a notice, never the event.

Committees are not derived from SUMMARY: its wording varies too much between councils to
build Organization records from it reliably; the SUMMARY stays the meeting's name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from ris_connector.adapters.ics import values
from ris_connector.adapters.ics.contentline import Prop
from ris_connector.adapters.ics.eventtimes import EventTime
from ris_connector.adapters.ics.feedtext import Event
from ris_connector.adapters.ics.notes import Notes
from ris_connector.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Meeting,
    MeetingStatus,
    Provenance,
)
from ris_connector.normalize.ids import is_url, urn
from ris_connector.normalize.status import meeting_status, remark_cancels, status_from_text
from ris_connector.normalize.text import clean_text, strip_controls
from ris_connector.notices.ics import (
    ICS_BAD_GEO,
    ICS_BAD_ORGANIZER,
    ICS_BAD_URL,
    ICS_CONTROL_CHARACTERS,
    ICS_GEO_REPAIRED,
    ICS_UNKNOWN_STATUS,
)

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
#: STATUS values of RFC 5545 (VEVENT, VTODO, VJOURNAL).
STATUSES = frozenset(
    {"TENTATIVE", "CONFIRMED", "CANCELLED", "NEEDS-ACTION", "COMPLETED", "IN-PROCESS", "DRAFT", "FINAL"}
)


def location_key(text: str) -> str:
    """A readable, stable native id for a place given as text: ``rathaus-saal-1``."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLIT)
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode())
    slug = slug.strip("-")[:120]
    return slug or "h-" + hashlib.blake2b(text.encode("utf-8", errors="replace"), digest_size=8).hexdigest()


def native_id_without_uid(start_raw: str, summary: str) -> str:
    """Stable id for an event without UID: a hash of DTSTART and SUMMARY as written."""
    digest = hashlib.blake2b(f"{start_raw}\x1f{summary}".encode(errors="replace"), digest_size=10).hexdigest()
    return f"nouid-{digest}"


def is_placeholder_end(start: EventTime, end: EventTime) -> bool:
    """ALLRIS 4 writes DTEND as midnight after the day of a timed DTSTART: no real end."""
    if start.all_day or end.all_day:
        return False
    local_start = start.value.astimezone(start.zone)
    local_end = end.value.astimezone(start.zone)
    midnight_after = (local_start + timedelta(days=1)).date()
    return local_end.date() == midnight_after and local_end.time().replace(microsecond=0) == datetime.min.time()


class EventReader:
    """The values of one event as the mapping needs them; an unreadable value is dropped with a
    counted notice. For appointments (personal data) examples name the property, not the value."""

    def __init__(self, event: Event, notes: Notes, ref: str, *, personal: bool) -> None:
        self.event = event
        self.notes = notes
        self.ref = ref
        self.personal = personal
        self._noted: set[tuple[str, int, str]] = set()

    def note(self, code: str, prop: Prop, count: int = 1, detail: str = "") -> None:
        """Count a notice about ``prop`` (and ``detail``) once per event, not per occurrence."""
        key = (code, id(prop), detail)
        if key not in self._noted:
            self._noted.add(key)
            self.notes.add(code, self.example(prop), count)

    def example(self, prop: Prop) -> str:
        """Where a notice about ``prop`` comes from (with the value unless personal)."""
        return f"{self.ref}: {prop.name}" if self.personal else f"{self.ref}: {prop.name} {prop.value[:60]!r}"

    def text(self, name: str) -> str | None:
        """A TEXT property unescaped and cleaned (placeholders and control characters removed)."""
        prop = self.event.first(name)
        return None if prop is None else self._clean(values.text(prop.value), prop)

    def _clean(self, value: str, prop: Prop) -> str | None:
        if not value.isprintable():
            value, removed = strip_controls(value)
            if removed:
                self.note(ICS_CONTROL_CHARACTERS, prop, removed, detail=value)
        return clean_text(value)

    def categories(self) -> list[str]:
        """CATEGORIES values (one or several properties, comma lists) in order, without duplicates."""
        out: list[str] = []
        for prop in self.event.all("CATEGORIES"):
            for item in values.text_list(prop.value):
                cleaned = self._clean(item, prop)
                if cleaned and cleaned not in out:
                    out.append(cleaned)
        return out

    def organizer(self) -> str | None:
        """The ORGANIZER's common name, else its address without ``mailto:``."""
        prop = self.event.first("ORGANIZER")
        if prop is None:
            return None
        cn = prop.param("CN")
        address = re.sub(r"^mailto:", "", prop.value.strip(), flags=re.IGNORECASE)
        name = self._clean(cn if cn else address, prop)
        if name is None:
            self.note(ICS_BAD_ORGANIZER, prop)
        return name

    def web(self) -> str | None:
        """URL, if it is an absolute http(s) URL (some feeds escape it as text)."""
        prop = self.event.first("URL")
        if prop is None:
            return None
        value = values.text(prop.value).strip()
        if value and is_url(value) and value.isprintable():
            return value
        self.note(ICS_BAD_URL, prop)
        return None

    def geo(self) -> dict[str, Any] | None:
        """GEO as a GeoJSON Point (longitude first), if readable."""
        prop = self.event.first("GEO")
        if prop is None:
            return None
        try:
            lat, lon, repaired = values.geo(prop.value)
        except ValueError:
            self.note(ICS_BAD_GEO, prop)
            return None
        if repaired:
            self.note(ICS_GEO_REPAIRED, prop)
        return {"type": "Point", "coordinates": [lon, lat]}

    def status(self) -> str | None:
        """STATUS as written; a value RFC 5545 does not know is kept and counted."""
        prop = self.event.first("STATUS")
        state = self.text("STATUS")
        if prop is not None and state and state.upper() not in STATUSES:
            self.note(ICS_UNKNOWN_STATUS, prop)
        return state


def location(reader: EventReader, source: str, provenance: Provenance) -> Location | None:
    """A Location record for LOCATION (and GEO), or None without a LOCATION text."""
    place = reader.text("LOCATION")
    if not place:
        return None
    return Location(
        id=urn(source, "Location", location_key(place)),
        name=place,
        description=place,
        geojson=reader.geo(),
        provenance=provenance.model_copy(update={"original_id": place}),
    )


def meeting(
    reader: EventReader,
    rid: str,
    start: EventTime,
    end: EventTime | None,
    place: Location | None,
    now: datetime,
    provenance: Provenance,
) -> Meeting:
    """A Meeting from a RIS calendar event."""
    name = reader.text("SUMMARY")
    state = reader.status()
    cancelled = True if state and state.upper() == "CANCELLED" else None
    start_value = start.value
    end_value = end.value if end else None
    description = reader.text("DESCRIPTION")
    return Meeting(
        id=rid,
        name=name,
        meeting_state=state,
        cancelled=cancelled,
        status=meeting_status(
            now=now,
            cancelled=cancelled,
            meeting_state=state,
            name=name,
            remark=description,
            start=start_value,
            end=end_value,
        ),
        start=start_value,
        end=end_value,
        location=place.id if place else None,
        web=reader.web(),
        description=description,
        keyword=reader.categories(),
        provenance=provenance,
    )


def appointment(
    reader: EventReader,
    rid: str,
    start: EventTime,
    end: EventTime | None,
    place: Location | None,
    provenance: Provenance,
) -> Appointment:
    """An Appointment from a booking-system event (personal data: never logged)."""
    name = reader.text("SUMMARY")
    state = (reader.status() or "").upper()
    status = {
        "CANCELLED": AppointmentStatus.CANCELLED,
        "CONFIRMED": AppointmentStatus.CONFIRMED,
        "TENTATIVE": AppointmentStatus.SCHEDULED,
    }.get(state, AppointmentStatus.SCHEDULED)
    description = reader.text("DESCRIPTION")
    if status is not AppointmentStatus.CANCELLED and (
        status_from_text(name) is MeetingStatus.CANCELLED or remark_cancels(description)
    ):
        status = AppointmentStatus.CANCELLED
    cats = reader.categories()
    return Appointment(
        id=rid,
        name=name,
        description=description,
        start=start.value,
        end=end.value if end else None,
        all_day=start.all_day,
        status=status,
        location=place.id if place else None,
        location_text=place.name if place else None,
        organizer=reader.organizer(),
        service=cats[0] if cats else None,
        keyword=cats,
        web=reader.web(),
        provenance=provenance,
    )
