"""Human-readable titles, places and links of stored records, shared by the app outputs."""

from __future__ import annotations

import re
from typing import Any

from ris_connector.models import File, Location, Meeting, Organization
from ris_connector.store import Store


def _load(store: Store, record_id: str | None, cls: type[Any]) -> Any | None:
    if not record_id:
        return None
    row = store.get(record_id)
    if row is None or row.type != cls.TYPE:
        return None
    return row.to_record()


def committee_name(store: Store, meeting: Meeting) -> str | None:
    """Name of the meeting's first organization (the committee), if stored."""
    for org_id in meeting.organization:
        org: Organization | None = _load(store, org_id, Organization)
        if org is not None and org.name:
            return org.name
    return None


def meeting_title(store: Store, meeting: Meeting) -> str:
    """Committee and meeting name, without saying the committee twice.

    "Ausschuss für Umwelt: 3. Sitzung" - or only the meeting name when it already names the
    committee ("5. Sitzung des Stadtrates" for the Stadtrat).
    """
    committee = committee_name(store, meeting)
    name = (meeting.name or "").strip()
    if committee and name:
        return name if _names(name, committee) else f"{committee}: {name}"
    return name or committee or "Sitzung"


def _names(text: str, committee: str) -> bool:
    """Whether ``text`` already names ``committee`` (word stems, so genitive forms match)."""
    words = [w for w in re.findall(r"\w+", committee.lower()) if len(w) >= 4]
    low = text.lower()
    return bool(words) and all(w[: max(4, len(w) - 2)] in low for w in words)


def location_of(store: Store, meeting: Meeting) -> Location | None:
    """The meeting's Location record, if stored."""
    loc: Location | None = _load(store, meeting.location, Location)
    return loc


def location_text(location: Location | None) -> str | None:
    """One line for a place: the description, else room, street, postal code and town."""
    if location is None:
        return None
    if location.description:
        return location.description
    town = " ".join(x for x in (location.postal_code, location.locality) if x)
    parts = [x for x in (location.room, location.street_address, town) if x]
    return ", ".join(parts) or None


def file_url(store: Store, file_id: str | None) -> str | None:
    """Where a reader opens a File: its accessUrl, else its downloadUrl."""
    f: File | None = _load(store, file_id, File)
    if f is None:
        return None
    return f.access_url or f.download_url
