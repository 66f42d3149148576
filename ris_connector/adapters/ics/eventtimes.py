"""Start and end of an iCalendar event as aware datetimes, however the feed spells them.

* UTC times (``...Z``) stay UTC.
* ``TZID`` is resolved in this order: an IANA name; a ``VTIMEZONE`` of the feed with that
  TZID (so a feed's own rules win over guesses for names such as "W. Europe Standard Time");
  a known alias (``normalize.times.get_timezone``: Windows names, Mozilla prefixes, quotes);
  else the source's timezone, with a notice.
* Floating times (no TZID, no ``Z``) are read in the source's timezone.
* ``VALUE=DATE`` (all-day) becomes local midnight.

Wall times are always re-localized with :func:`~ris_connector.normalize.times.localize`, so a
time in the spring-forward gap moves forward by the gap and one in the autumn overlap is the
first (summer-time) occurrence - whatever tzinfo the iCalendar parser attached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ris_connector.errors import DataError
from ris_connector.normalize.times import get_timezone, localize


@dataclass(frozen=True)
class EventTime:
    """A resolved DTSTART/DTEND: the aware instant, whether it was a date, and its zone."""

    value: datetime
    all_day: bool
    zone: tzinfo


@dataclass
class ZoneResolver:
    """Resolves TZIDs for one feed; remembers which names it had to guess or could not place."""

    default: tzinfo
    feed_zones: Mapping[str, tzinfo] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    aliased: set[str] = field(default_factory=set)

    def zone(self, tzid: str | None, parsed: tzinfo | None = None) -> tzinfo:
        """The tzinfo for ``tzid`` (None: floating, the source's zone)."""
        if not tzid:
            return self.default
        name = tzid.strip().strip("\"'")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        if name in self.feed_zones:
            return self.feed_zones[name]
        try:
            zone = get_timezone(name)
        except ValueError:
            zone = None
        if zone is not None:
            self.aliased.add(name)
            return zone
        if parsed is not None and parsed.utcoffset(datetime(2026, 1, 1)) is not None:
            self.aliased.add(name)
            return parsed
        self.unknown.add(name)
        return self.default


def feed_zones(vtimezones: list[Any]) -> tuple[dict[str, tzinfo], list[str]]:
    """tzinfo objects built from a feed's VTIMEZONE components; and the TZIDs that were broken."""
    zones: dict[str, tzinfo] = {}
    broken: list[str] = []
    for comp in vtimezones:
        tzid = str(comp.get("TZID", "")).strip()
        if not tzid:
            continue
        try:
            zones[tzid] = comp.to_tz(lookup_tzid=False)
        except Exception:  # any malformed VTIMEZONE: fall back to names
            broken.append(tzid)
    return zones, broken


def event_time(prop: Any, resolver: ZoneResolver, what: str) -> EventTime:
    """Resolve one DTSTART/DTEND/RECURRENCE-ID property; DataError if it is no date or date-time."""
    try:
        value = prop.dt
    except ValueError as exc:  # icalendar's BrokenCalendarProperty is a ValueError
        raise DataError(f"{what} is not a date or date-time: {_first_line(exc)}") from None
    tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
    if isinstance(value, datetime):
        if value.tzinfo is not None and not tzid and value.utcoffset() is not None:
            utc = value.astimezone(timezone.utc)
            return EventTime(utc, False, timezone.utc)
        zone = resolver.zone(str(tzid) if tzid else None, value.tzinfo)
        return EventTime(localize(value.replace(tzinfo=None), zone), False, zone)
    if isinstance(value, date):
        zone = resolver.default
        return EventTime(localize(datetime.combine(value, time()), zone), True, zone)
    raise DataError(f"{what} is not a date or date-time (got {type(value).__name__})")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
