"""A Meeting as the variables of ``createEventRecord``: title, dates, address, links, agenda as HTML."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ris_connector.describe import committee_name, file_url, location_of, location_text, meeting_title
from ris_connector.models import AgendaItem, Location, Meeting, MeetingStatus
from ris_connector.store import Store
from ris_connector.urlsafe import is_safe_url

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_CATEGORY = "Ratssitzungen"

_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
_TOWN = re.compile(r"^\s*(\d{5})\s+(.+?)\s*$")

#: Title prefixes and the note at the top of the description, per status the app must see.
STATUS_MARKERS: dict[MeetingStatus, tuple[str, str]] = {
    MeetingStatus.CANCELLED: ("Abgesagt: ", "Diese Sitzung wurde abgesagt."),
    MeetingStatus.POSTPONED: ("Verschoben: ", "Diese Sitzung wurde verschoben; der neue Termin folgt."),
}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def long_date(when: datetime) -> str:
    """'Montag, 7. Dezember 2026, 17:00 Uhr' in Berlin time."""
    local = when.astimezone(BERLIN)
    return f"{_WEEKDAYS[local.weekday()]}, {local.day}. {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} Uhr"


def dates(meeting: Meeting) -> list[dict[str, Any]]:
    """One DateInput in Berlin local time (the mainserver stores wall-clock dates and times)."""
    if meeting.start is None:
        return []
    start = meeting.start.astimezone(BERLIN)
    entry: dict[str, Any] = {"dateStart": start.date().isoformat(), "timeStart": f"{start:%H:%M}"}
    if meeting.end is not None:
        end = meeting.end.astimezone(BERLIN)
        entry["dateEnd"] = end.date().isoformat()
        entry["timeEnd"] = f"{end:%H:%M}"
    else:
        entry["dateEnd"] = entry["dateStart"]
    return [entry]


def address(location: Location | None) -> list[dict[str, Any]]:
    """AddressInput from a Location: structured fields first, else the parsed description."""
    if location is None:
        return []
    street, zip_code, city = location.street_address, location.postal_code, location.locality
    parts = [p.strip() for p in (location.description or "").split(",") if p.strip()]
    if not (street or zip_code or city) and len(parts) >= 2 and (town := _TOWN.match(parts[-1])):
        zip_code, city, street = town.group(1), town.group(2), parts[-2]
    addition = location.room
    if not addition and parts and parts[0] not in (street, f"{zip_code} {city}"):
        addition = parts[0]
    out: dict[str, Any] = {"kind": "default"}
    for key, value in (("street", street), ("zip", zip_code), ("city", city), ("addition", addition)):
        if value:
            out[key] = value
    if not (street or city or addition):
        return []
    point = (location.geojson or {}).get("geometry") or {}
    coords = point.get("coordinates") if point.get("type") == "Point" else None
    if isinstance(coords, list) and len(coords) >= 2:
        out["geoLocation"] = {"latitude": coords[1], "longitude": coords[0]}
    return [out]


def _agenda(store: Store, meeting: Meeting) -> list[AgendaItem]:
    items: list[AgendaItem] = []
    for item_id in meeting.agenda_item:
        row = store.get(item_id)
        if row is not None and row.type == "AgendaItem" and not row.deleted:
            record = row.to_record()
            assert isinstance(record, AgendaItem)
            items.append(record)
    return sorted(items, key=lambda i: (i.order is None, i.order or 0))


def description(store: Store, meeting: Meeting, place: str | None) -> str:
    """HTML: status note, when and where, the public agenda; every text escaped."""
    out: list[str] = []
    marker = STATUS_MARKERS.get(meeting.status)
    if marker:
        out.append(f"<p><strong>{_e(marker[1])}</strong></p>")
    when = long_date(meeting.start) if meeting.start else None
    line = ", ".join(_e(x) for x in (when, place) if x)
    if line:
        out.append(f"<p>{line}</p>")
    items = _agenda(store, meeting)
    public = [i for i in items if i.public is not False]
    if public:
        out.append("<h3>Tagesordnung</h3>")
        out.append("<ul>")
        for item in public:
            number = f"TOP {_e(item.number)}: " if item.number else ""
            out.append(f"<li>{number}{_e(item.name or 'ohne Titel')}</li>")
        out.append("</ul>")
    hidden = len(items) - len(public)
    if hidden:
        out.append(f"<p>Nicht öffentlicher Teil: {hidden} Tagesordnungspunkt{'e' if hidden > 1 else ''}.</p>")
    return "\n".join(out)


def urls(store: Store, meeting: Meeting) -> list[dict[str, str]]:
    """The RIS page and the invitation and protocol files."""
    out: list[dict[str, str]] = []
    if meeting.web and is_safe_url(meeting.web):  # models keep only http(s); checked again here
        out.append({"url": meeting.web, "description": "Sitzung im Ratsinformationssystem"})
    for file_id, label in (
        (meeting.invitation, "Einladung"),
        (meeting.results_protocol, "Niederschrift"),
        (meeting.verbatim_protocol, "Wortprotokoll"),
    ):
        url = file_url(store, file_id)
        if url and is_safe_url(url):
            out.append({"url": url, "description": label})
    return out


def event_record(store: Store, meeting: Meeting, *, category: str = DEFAULT_CATEGORY) -> dict[str, Any]:
    """The complete ``createEventRecord`` variables for ``meeting`` (without the mainserver id)."""
    location = location_of(store, meeting)
    title = meeting_title(store, meeting)
    marker = STATUS_MARKERS.get(meeting.status)
    variables: dict[str, Any] = {
        "externalId": meeting.id,
        "title": f"{marker[0]}{title}" if marker else title,
        "description": description(store, meeting, location_text(location)),
        "categoryName": category,
        "dates": dates(meeting),
        "addresses": address(location),
        "urls": urls(store, meeting),
    }
    committee = committee_name(store, meeting)
    if committee:
        variables["organizer"] = {"name": committee}
    return variables
