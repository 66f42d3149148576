"""A feed's own VTIMEZONE as a ``tzinfo``, built once with bounded work.

icalendar hands a VTIMEZONE to dateutil's ``tzical``, which expands each RRULE from DTSTART
on every lookup and caches every date it passes: a VTIMEZONE whose rules repeat every second
made memory grow until the machine ran out. Here each observance (STANDARD, DAYLIGHT) is
expanded once by :mod:`.rrule` between 1850 and 2200, and the whole VTIMEZONE may have at most
``MAX_TRANSITIONS`` transitions there (a real zone has two a year, about 700). A VTIMEZONE that
needs more is :class:`ZoneTooCostly`, one that cannot be read raises ``ValueError``; the
caller then takes the zone its TZID names.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, time, timedelta, tzinfo

from ris_connector.adapters.ics import values
from ris_connector.adapters.ics.feedtext import Component
from ris_connector.adapters.ics.rrule import expand, parse_rule

FIRST = datetime(1850, 1, 1)
LAST = datetime(2200, 1, 1)
MAX_TRANSITIONS = 1000
#: Steps of rule expansion one VTIMEZONE may take (see ``rrule.expand``).
MAX_WORK = 50_000


class ZoneTooCostly(ValueError):
    """The VTIMEZONE would need more transitions or work than allowed."""


class FeedZone(tzinfo):
    """Offsets from a sorted list of transitions (UTC instant, offset, DST part, name)."""

    def __init__(self, name: str, transitions: list[tuple[datetime, timedelta, timedelta, str]], first: timedelta):
        self._name = name
        self._utc = [t[0] for t in transitions]
        self._offsets = [first, *(t[1] for t in transitions)]
        self._dsts = [timedelta(0), *(t[2] for t in transitions)]
        self._names = [name, *(t[3] for t in transitions)]
        before = self._offsets[:-1]
        after = self._offsets[1:]
        # a wall time is past transition i once it is past the later (fold 0) or the earlier
        # (fold 1) of the two wall times the transition joins: gaps and overlaps as zoneinfo
        self._fold0 = [u + max(b, a) for u, b, a in zip(self._utc, before, after, strict=True)]
        self._fold1 = [u + min(b, a) for u, b, a in zip(self._utc, before, after, strict=True)]

    def _index(self, dt: datetime) -> int:
        table = self._fold1 if dt.fold else self._fold0
        return bisect_right(table, dt.replace(tzinfo=None))

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None if dt is None else self._offsets[self._index(dt)]

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None if dt is None else self._dsts[self._index(dt)]

    def tzname(self, dt: datetime | None) -> str | None:
        return self._name if dt is None else self._names[self._index(dt)]

    def fromutc(self, dt: datetime) -> datetime:
        moment = dt.replace(tzinfo=None)
        index = bisect_right(self._utc, moment)
        wall = moment + self._offsets[index]
        fold = 0
        if index and self._offsets[index] < self._offsets[index - 1]:
            fold = int(wall < self._utc[index - 1] + self._offsets[index - 1])
        return wall.replace(tzinfo=self, fold=fold)

    def __repr__(self) -> str:
        return f"FeedZone({self._name!r})"

    def __str__(self) -> str:
        return self._name


def build_zone(component: Component) -> FeedZone:
    """The zone a VTIMEZONE describes (see the module doc for the bounds)."""
    tzid = component.first("TZID")
    name = tzid.value.strip() if tzid is not None else "VTIMEZONE"
    transitions: list[tuple[datetime, timedelta, timedelta, str]] = []
    before_first: dict[datetime, timedelta] = {}  # TZOFFSETFROM per transition instant
    earlier: tuple[datetime, timedelta] | None = None  # the last onset before FIRST
    work = 0
    for observance in component.children:
        start_prop, from_prop, to_prop = (observance.first(n) for n in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"))
        if start_prop is None or from_prop is None or to_prop is None:
            raise ValueError(f"{observance.name} lacks DTSTART, TZOFFSETFROM or TZOFFSETTO")
        start = _wall(start_prop.value)
        offset_from, offset_to = values.utc_offset(from_prop.value), values.utc_offset(to_prop.value)
        label = observance.first("TZNAME")
        label_text = label.value.strip()[:40] if label is not None and label.value.strip() else name
        dst = (offset_to - offset_from) if observance.name == "DAYLIGHT" else timedelta(0)
        onsets = [start]
        for rdate in (p for p in observance.props if p.name == "RDATE"):
            onsets.extend(_wall(item.split("/")[0]) for item in rdate.value.split(",")[:MAX_TRANSITIONS])
        for prop in (p for p in observance.props if p.name == "RRULE"):
            rule = parse_rule(prop.value)
            if rule.until is not None and rule.until_utc:
                rule = rule.with_until(rule.until + offset_from)
            found = expand(rule, start, FIRST, LAST, limit=MAX_TRANSITIONS, max_work=MAX_WORK - work)
            work += found.work
            if found.cut:
                raise ZoneTooCostly(f"{observance.name} rule {prop.value[:60]!r} gives too many transitions")
            onsets.extend(found.starts)
        for onset in onsets:
            if onset < FIRST:
                if earlier is None or onset > earlier[0]:
                    earlier = (onset, offset_to)
            elif onset <= LAST:
                transitions.append((onset - offset_from, offset_to, dst, label_text))
                before_first.setdefault(onset - offset_from, offset_from)
        if len(transitions) > MAX_TRANSITIONS:
            raise ZoneTooCostly(f"more than {MAX_TRANSITIONS} transitions between 1850 and 2200")
    if not transitions and earlier is None:
        raise ValueError("no STANDARD or DAYLIGHT observance")
    transitions.sort(key=lambda t: t[0])
    first = before_first[transitions[0][0]] if earlier is None else earlier[1]
    return FeedZone(name, transitions, first)


def _wall(value: str) -> datetime:
    moment, _, _ = values.date_or_datetime(value, None)
    return moment if isinstance(moment, datetime) else datetime.combine(moment, time())
