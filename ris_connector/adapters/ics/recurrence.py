"""The occurrences of a recurring event inside the run's window.

A recurring event becomes one record per occurrence between ``Window.start`` and ``Window.end``
(by default one year back and two years ahead of the run). Each RRULE is expanded by
:mod:`.rrule` on local wall time - a weekly 17:00 meeting stays at 17:00 across DST - starting
at the window (not at DTSTART) and with at most ``max_work`` steps; each occurrence is then
localized. ``EXDATE`` removes occurrences, ``RDATE`` adds them; an event in the feed with the
same UID and a ``RECURRENCE-ID`` replaces the occurrence it names (the adapter does that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo

from ris_connector.adapters.ics.eventtimes import EventTime, WallTime, ZoneResolver, wall_times
from ris_connector.adapters.ics.feedtext import Event
from ris_connector.adapters.ics.notes import Notes
from ris_connector.adapters.ics.rrule import Rule, expand, parse_rule
from ris_connector.normalize.times import localize
from ris_connector.notices.ics import ICS_BAD_RECURRENCE_DATE, ICS_BAD_RRULE

#: Margin around the window for the wall-time walk: the wall time of the window's start in
#: the event's zone is exact; around a DST change a wall time shortly before it can still be
#: an instant inside (real zones shift by at most two hours). ``accept`` filters exactly.
_MARGIN = timedelta(hours=3)


@dataclass(frozen=True)
class Window:
    """The span in which recurrences are expanded and the bounds of one event's expansion."""

    start: datetime
    end: datetime
    max_occurrences: int
    max_work: int


@dataclass
class Occurrences:
    """The occurrence starts, whether a bound cut them (``limit``, ``work``), and the work."""

    starts: list[EventTime] = field(default_factory=list)
    cut: str | None = None
    work: int = 0


def rules(event: Event, notes: Notes, ref: str) -> list[Rule]:
    """The readable RRULEs of an event; each unreadable one is counted (``ics-bad-rrule``)."""
    found: list[Rule] = []
    for prop in event.all("RRULE"):
        try:
            found.append(parse_rule(prop.value))
        except ValueError as exc:
            notes.add(ICS_BAD_RRULE, f"{ref}: {str(exc)[:120]}")
    return found


def occurrences(
    event: Event,
    rule_list: list[Rule],
    start: WallTime,
    resolver: ZoneResolver,
    notes: Notes,
    ref: str,
    window: Window,
) -> Occurrences:
    """The occurrence starts of a recurring event inside ``window``, sorted.

    EXDATEs are read first, so that ``max_occurrences`` counts occurrences that remain; the
    occurrences held are pruned to the earliest ``max_occurrences`` as rules and RDATEs add
    to them, so memory stays bounded whatever the event lists.
    """
    zone = start.zone
    lower = _wall_of(window.start - _MARGIN, zone)
    upper = _wall_of(window.end + _MARGIN, zone)
    limit = window.max_occurrences
    excluded: set[datetime] = set()
    for prop in event.all("EXDATE"):
        for value in wall_times(prop, resolver, notes, ref, zone):
            resolved = _resolve(value, notes, ref, "EXDATE")
            if resolved is not None:
                excluded.add(resolved.value)

    def accept(wall: datetime) -> bool:
        value = _make(wall, start).value
        return window.start <= value <= window.end and value not in excluded

    found: dict[datetime, EventTime] = {}
    out = Occurrences()
    for rule in rule_list:
        if rule.until is not None and rule.until_utc and zone is not timezone.utc:
            rule = rule.with_until(_until_wall(rule.until, zone))
        budget = window.max_work - out.work
        expansion = expand(rule, start.wall, lower, upper, limit=limit, max_work=max(budget, 1), accept=accept)
        out.work += expansion.work
        out.cut = out.cut or expansion.cut
        for wall in expansion.starts:
            occurrence = _make(wall, start)
            found[occurrence.value] = occurrence
        _prune(found, limit, out)
        if out.cut == "work":
            break
    for prop in event.all("RDATE"):
        for extra in wall_times(prop, resolver, notes, ref, zone):
            resolved = _resolve(extra, notes, ref, "RDATE")
            if resolved is not None and window.start <= resolved.value <= window.end:
                if resolved.value not in excluded:
                    found.setdefault(resolved.value, resolved)
                if len(found) > 2 * limit:
                    _prune(found, limit, out)
    _prune(found, limit, out)
    out.starts = [found[k] for k in sorted(found)]
    return out


def _prune(found: dict[datetime, EventTime], limit: int, out: Occurrences) -> None:
    """Keep the earliest ``limit`` occurrences; more means the event was cut (``limit``)."""
    if len(found) > limit:
        for key in sorted(found)[limit:]:
            del found[key]
        out.cut = out.cut or "limit"


def _wall_of(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _until_wall(until: datetime, zone: tzinfo) -> datetime:
    """A UTC UNTIL as wall time of ``zone``; far from today it only needs to stay far."""
    try:
        return _wall_of(until.replace(tzinfo=timezone.utc), zone)
    except (OverflowError, ValueError):
        return until


def _make(naive: datetime, start: WallTime) -> EventTime:
    if start.zone is timezone.utc:
        return EventTime(naive.replace(tzinfo=timezone.utc), start.all_day, start.zone)
    return EventTime(localize(naive, start.zone), start.all_day, start.zone)


def _resolve(value: WallTime, notes: Notes, ref: str, what: str) -> EventTime | None:
    try:
        return value.resolve()
    except (ValueError, OverflowError):
        notes.add(ICS_BAD_RECURRENCE_DATE, f"{ref}: {what} {value.wall:%Y-%m-%d} out of range")
        return None


__all__ = ["Occurrences", "Window", "occurrences", "rules"]
