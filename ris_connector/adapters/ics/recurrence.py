"""RRULE expansion in a bounded window.

A recurring event becomes one record per occurrence between ``window_start`` and
``window_end`` (by default one year back and two years ahead of the run). Occurrences are
computed on local wall time - a weekly 17:00 meeting stays at 17:00 across DST - and each is
localized explicitly. ``EXDATE`` removes occurrences, ``RDATE`` adds them; an event in the feed
with the same UID and a ``RECURRENCE-ID`` replaces the occurrence it names (the adapter does that).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from dateutil.rrule import rrulestr

from ris_connector.adapters.ics.eventtimes import EventTime, ZoneResolver, event_time
from ris_connector.errors import DataError
from ris_connector.normalize.times import localize


@dataclass(frozen=True)
class Window:
    """The span in which recurrences are expanded, and the most occurrences per event."""

    start: datetime
    end: datetime
    max_occurrences: int


def occurrences(event: Any, start: EventTime, resolver: ZoneResolver, window: Window) -> tuple[list[EventTime], bool]:
    """The occurrence starts of a recurring event inside ``window``; True if cut at the limit."""
    rules = event.get("RRULE")
    rules = rules if isinstance(rules, list) else [rules]
    wall = start.value.astimezone(start.zone).replace(tzinfo=None)
    found: dict[datetime, EventTime] = {}
    truncated = False
    for rule in rules:
        text = _rule_text(rule, start)
        try:
            rr = rrulestr(text, dtstart=wall, ignoretz=True)
        except (ValueError, TypeError) as exc:
            raise DataError(f"RRULE {text!r} cannot be expanded: {exc}") from None
        lower = window.start.astimezone(start.zone).replace(tzinfo=None) - timedelta(days=1)
        upper = window.end.astimezone(start.zone).replace(tzinfo=None) + timedelta(days=1)
        for naive in rr.xafter(lower, inc=True):
            if naive > upper:
                break
            occ = _make(naive, start)
            if window.start <= occ.value <= window.end:
                if len(found) >= window.max_occurrences:
                    truncated = True
                    break
                found[occ.value] = occ
    for prop_name in ("RDATE",):
        for extra in _date_list(event.get(prop_name), resolver, start):
            if window.start <= extra.value <= window.end:
                found.setdefault(extra.value, extra)
    for excluded in _date_list(event.get("EXDATE"), resolver, start):
        found.pop(excluded.value, None)
    return [found[k] for k in sorted(found)], truncated


def _make(naive: datetime, start: EventTime) -> EventTime:
    if start.zone is timezone.utc:
        return EventTime(naive.replace(tzinfo=timezone.utc), start.all_day, start.zone)
    return EventTime(localize(naive, start.zone), start.all_day, start.zone)


def _rule_text(rule: Any, start: EventTime) -> str:
    """The RRULE as text, with UNTIL turned into the event's local wall time (naive)."""
    parts = dict(rule)
    until = parts.get("UNTIL")
    if until:
        value = until[0] if isinstance(until, list) else until
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(start.zone).replace(tzinfo=None)
        elif isinstance(value, date):
            value = datetime.combine(value, time(23, 59, 59))
        parts["UNTIL"] = [value]
    fields = []
    for key, val in parts.items():
        values = val if isinstance(val, list) else [val]
        fields.append(f"{key}={','.join(_rule_value(v) for v in values)}")
    return "RRULE:" + ";".join(fields)


def _rule_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y%m%dT%H%M%S")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    to_ical = getattr(value, "to_ical", None)
    if callable(to_ical):
        out = to_ical()
        return out.decode() if isinstance(out, bytes) else str(out)
    return str(value)


def _date_list(prop: Any, resolver: ZoneResolver, start: EventTime) -> Iterator[EventTime]:
    """EXDATE/RDATE values (one or several properties, each with one or more dates)."""
    if prop is None:
        return
    props = prop if isinstance(prop, list) else [prop]
    for p in props:
        tzid = p.params.get("TZID") if hasattr(p, "params") else None
        for item in getattr(p, "dts", []):
            value = item.dt
            if isinstance(value, datetime) and value.tzinfo is not None and not tzid:
                yield EventTime(value.astimezone(timezone.utc), False, timezone.utc)
            elif isinstance(value, datetime):
                zone = resolver.zone(str(tzid) if tzid else None, value.tzinfo) if tzid else start.zone
                yield EventTime(localize(value.replace(tzinfo=None), zone), False, zone)
            elif isinstance(value, date):
                yield EventTime(localize(datetime.combine(value, time()), start.zone), True, start.zone)


__all__ = ["Window", "event_time", "occurrences"]
