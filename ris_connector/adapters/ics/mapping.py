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

Committees are not derived from SUMMARY: its wording varies too much between councils to
build Organization records from it reliably; the SUMMARY stays the meeting's name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from ris_connector.adapters.ics.eventtimes import EventTime
from ris_connector.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Meeting,
    MeetingStatus,
    Provenance,
)
from ris_connector.normalize.ids import is_url, urn
from ris_connector.normalize.status import meeting_status, status_from_text
from ris_connector.normalize.text import clean_text

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def location_key(text: str) -> str:
    """A readable, stable native id for a place given as text: ``rathaus-saal-1``."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLIT)
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode())
    slug = slug.strip("-")[:120]
    return slug or "h-" + hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def native_id_without_uid(start_raw: str, summary: str) -> str:
    """Stable id for an event without UID: a hash of DTSTART and SUMMARY as written."""
    digest = hashlib.blake2b(f"{start_raw}\x1f{summary}".encode(), digest_size=10).hexdigest()
    return f"nouid-{digest}"


def is_placeholder_end(start: EventTime, end: EventTime) -> bool:
    """ALLRIS 4 writes DTEND as midnight after the day of a timed DTSTART: no real end."""
    if start.all_day or end.all_day:
        return False
    local_start = start.value.astimezone(start.zone)
    local_end = end.value.astimezone(start.zone)
    midnight_after = (local_start + timedelta(days=1)).date()
    return local_end.date() == midnight_after and local_end.time().replace(microsecond=0) == datetime.min.time()


def text(event: Any, name: str) -> str | None:
    """A text property, cleaned (placeholders and control characters removed)."""
    value = event.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return clean_text(str(value)) if value is not None else None


def categories(event: Any) -> list[str]:
    """CATEGORIES values (one or several properties, comma lists) in order, without duplicates."""
    prop = event.get("CATEGORIES")
    props = prop if isinstance(prop, list) else [prop] if prop is not None else []
    out: list[str] = []
    for p in props:
        values = getattr(p, "cats", None) or [str(p)]
        for v in values:
            cleaned = clean_text(str(v))
            if cleaned and cleaned not in out:
                out.append(cleaned)
    return out


def organizer(event: Any) -> str | None:
    """The ORGANIZER's common name, else its address without ``mailto:``."""
    prop = event.get("ORGANIZER")
    if prop is None:
        return None
    cn = prop.params.get("CN") if hasattr(prop, "params") else None
    if cn:
        return clean_text(str(cn))
    return clean_text(re.sub(r"^mailto:", "", str(prop), flags=re.IGNORECASE))


def web(event: Any) -> str | None:
    """URL, if it is an absolute http(s) URL."""
    value = text(event, "URL")
    return value if value and is_url(value) else None


def location(event: Any, source: str, provenance: Provenance) -> Location | None:
    """A Location record for LOCATION (and GEO), or None without a LOCATION text."""
    place = text(event, "LOCATION")
    if not place:
        return None
    geo = event.get("GEO")
    geojson = None
    if geo is not None and hasattr(geo, "latitude"):
        geojson = {"type": "Point", "coordinates": [float(geo.longitude), float(geo.latitude)]}
    return Location(
        id=urn(source, "Location", location_key(place)),
        name=place,
        description=place,
        geojson=geojson,
        provenance=provenance.model_copy(update={"original_id": place}),
    )


def meeting(
    event: Any,
    rid: str,
    start: EventTime,
    end: EventTime | None,
    place: Location | None,
    now: datetime,
    provenance: Provenance,
) -> Meeting:
    """A Meeting from a RIS calendar event."""
    name = text(event, "SUMMARY")
    state = text(event, "STATUS")
    cancelled = True if state and state.upper() == "CANCELLED" else None
    start_value = start.value
    end_value = end.value if end else None
    return Meeting(
        id=rid,
        name=name,
        meeting_state=state,
        cancelled=cancelled,
        status=meeting_status(
            now=now, cancelled=cancelled, meeting_state=state, name=name, start=start_value, end=end_value
        ),
        start=start_value,
        end=end_value,
        location=place.id if place else None,
        web=web(event),
        description=text(event, "DESCRIPTION"),
        keyword=categories(event),
        provenance=provenance,
    )


def appointment(
    event: Any,
    rid: str,
    start: EventTime,
    end: EventTime | None,
    place: Location | None,
    provenance: Provenance,
) -> Appointment:
    """An Appointment from a booking-system event (personal data: never logged)."""
    name = text(event, "SUMMARY")
    state = (text(event, "STATUS") or "").upper()
    status = {
        "CANCELLED": AppointmentStatus.CANCELLED,
        "CONFIRMED": AppointmentStatus.CONFIRMED,
        "TENTATIVE": AppointmentStatus.SCHEDULED,
    }.get(state, AppointmentStatus.SCHEDULED)
    if status is not AppointmentStatus.CANCELLED and status_from_text(name) is MeetingStatus.CANCELLED:
        status = AppointmentStatus.CANCELLED
    cats = categories(event)
    return Appointment(
        id=rid,
        name=name,
        description=text(event, "DESCRIPTION"),
        start=start.value,
        end=end.value if end else None,
        all_day=start.all_day,
        status=status,
        location=place.id if place else None,
        location_text=place.name if place else None,
        organizer=organizer(event),
        service=cats[0] if cats else None,
        keyword=cats,
        web=web(event),
        provenance=provenance,
    )
