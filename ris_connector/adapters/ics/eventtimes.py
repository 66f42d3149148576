"""Start and end of an iCalendar event as aware datetimes, however the feed spells them.

* UTC times (``...Z``) stay UTC.
* ``TZID`` is resolved in this order: an IANA name; a ``VTIMEZONE`` of the feed with that
  TZID (so a feed's own rules win over guesses for names such as "W. Europe Standard Time"),
  built with bounded work (``vtimezone.py``); a known alias
  (``normalize.times.get_timezone``: Windows names, Mozilla prefixes, quotes); else the
  source's timezone, with a notice.
* Floating times (no TZID, no ``Z``) are read in the source's timezone.
* ``VALUE=DATE`` (all-day) becomes local midnight.

Wall times are re-localized with :func:`~ris_connector.normalize.times.localize`, so a time in
the spring-forward gap moves forward by the gap and one in the autumn overlap is the first
(summer-time) occurrence. A wall time is only made an instant inside the years
``values.FIRST_YEAR``-``values.LAST_YEAR``: a date in the year 1 or 9999 is a broken value,
and near those ends the arithmetic of time zones overflows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone, tzinfo
from zoneinfo import ZoneInfo

from ris_connector.adapters.ics import values
from ris_connector.adapters.ics.contentline import Prop
from ris_connector.adapters.ics.feedtext import Component
from ris_connector.adapters.ics.notes import Notes
from ris_connector.adapters.ics.vtimezone import ZoneTooCostly, build_zone
from ris_connector.normalize.times import get_timezone, localize
from ris_connector.notices.ics import (
    ICS_BAD_RECURRENCE_DATE,
    ICS_BROKEN_VTIMEZONE,
    ICS_TZID_ALIAS,
    ICS_UNKNOWN_TZID,
    ICS_VTIMEZONE_TOO_COSTLY,
)


@dataclass(frozen=True)
class EventTime:
    """A resolved DTSTART/DTEND: the aware instant, whether it was a date, and its zone."""

    value: datetime
    all_day: bool
    zone: tzinfo


@dataclass(frozen=True)
class WallTime:
    """A DTSTART/DTEND as written: naive wall time (midnight for a date) and its zone."""

    wall: datetime
    all_day: bool
    zone: tzinfo

    def resolve(self) -> EventTime:
        """The instant; ValueError outside the years a record may have."""
        if not values.in_range(self.wall):
            years = f"{values.FIRST_YEAR}-{values.LAST_YEAR}"
            raise ValueError(f"{self.wall.date().isoformat()} is outside the years {years}")
        if self.zone is timezone.utc:
            return EventTime(self.wall.replace(tzinfo=timezone.utc), self.all_day, self.zone)
        return EventTime(localize(self.wall, self.zone), self.all_day, self.zone)


@dataclass
class ZoneResolver:
    """Resolves TZIDs for one feed; counts each name it had to guess or could not place."""

    default: tzinfo
    notes: Notes
    vtimezones: Mapping[str, Component] = field(default_factory=dict)
    _zones: dict[str, tzinfo] = field(default_factory=dict)

    def zone(self, tzid: str | None) -> tzinfo:
        """The tzinfo for ``tzid`` (None: floating, the source's zone)."""
        if not tzid:
            return self.default
        zone = self._zones.get(tzid)
        if zone is None:
            zone = self._zones[tzid] = self._resolve(tzid)
        return zone

    def _resolve(self, tzid: str) -> tzinfo:
        name = tzid.strip().strip("\"'")[:200]
        if not name:
            return self.default
        zone = _iana(name)
        if zone is not None:
            return zone
        component = self.vtimezones.get(tzid) or self.vtimezones.get(name)
        if component is not None:
            try:
                return build_zone(component)
            except ZoneTooCostly as exc:
                self.notes.add(ICS_VTIMEZONE_TOO_COSTLY, f"VTIMEZONE {name!r}: {exc}")
            except (ValueError, OverflowError) as exc:
                self.notes.add(ICS_BROKEN_VTIMEZONE, f"VTIMEZONE {name!r}: {str(exc)[:120]}")
        try:
            zone = get_timezone(name)
        except ValueError:
            self.notes.add(ICS_UNKNOWN_TZID, name)
            return self.default
        self.notes.add(ICS_TZID_ALIAS, f"{name!r} read as {zone}")
        return zone


def _iana(name: str) -> tzinfo | None:
    """The IANA zone ``name``, or None (not found, a path, NUL bytes: not an IANA name)."""
    try:
        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError, OSError, ...
        return None


def wall_time(prop: Prop, resolver: ZoneResolver, notes: Notes, ref: str) -> WallTime:
    """A DTSTART, DTEND, RECURRENCE-ID, RDATE or EXDATE value; ValueError if it is none."""
    moment, utc, repairs = values.date_or_datetime(prop.value, _value_type(prop))
    for code in repairs:
        notes.add(code, f"{ref}: {prop.name} {prop.value[:40]!r}")
    return _wall(moment, utc, prop.param("TZID"), resolver)


def wall_times(prop: Prop, resolver: ZoneResolver, notes: Notes, ref: str, floating: tzinfo) -> list[WallTime]:
    """Every value of an RDATE or EXDATE (comma list; a PERIOD counts by its start).

    Values without TZID and ``Z`` (and dates) are read in ``floating``, the zone of DTSTART.
    """
    out: list[WallTime] = []
    tzid = prop.param("TZID")
    for item in prop.value.split(","):
        try:
            moment, utc, _ = values.date_or_datetime(item.split("/")[0], None)
        except ValueError:
            notes.add(ICS_BAD_RECURRENCE_DATE, f"{ref}: {prop.name} {item[:40]!r}")
            continue
        if isinstance(moment, datetime):
            zone = timezone.utc if utc else resolver.zone(tzid) if tzid else floating
            out.append(WallTime(moment, False, zone))
        else:
            out.append(WallTime(datetime.combine(moment, time()), True, floating))
    return out


def _wall(moment: date | datetime, utc: bool, tzid: str | None, resolver: ZoneResolver) -> WallTime:
    if isinstance(moment, datetime):
        return WallTime(moment, False, timezone.utc if utc else resolver.zone(tzid))
    return WallTime(datetime.combine(moment, time()), True, resolver.default)


def _value_type(prop: Prop) -> str | None:
    value_type = prop.param("VALUE")
    return value_type.upper() if value_type else None
