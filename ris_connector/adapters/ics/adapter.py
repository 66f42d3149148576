"""The ``ics`` adapter: reads one iCalendar feed per source and yields meetings or appointments.

A feed is always a complete listing of its window of time, so the adapter sets ``always_full``:
every run is a full run, and events that vanished from the feed are deleted by the engine's
absence check (guarded by ``max_delete_fraction`` like every full run) — except those that
started before the window the feed still shows (``Checkpoint.covers_from``): past meetings
drop out of real feeds after some weeks, which is no news (``sync/window.py``).

Every feed is treated as unknown (``docs/sources/icalendar.md``): the lines are repaired and
read by our own tolerant reader (``feedtext.py``, ``contentline.py``); a value that cannot be
read costs that value with a counted notice (``notes.py``); only an event without DTSTART, or a
RECURRENCE-ID that cannot be read, is quarantined. The work is bounded: occurrences per rule
(``max_occurrences``), steps per rule (``RULE_WORK``) and per feed (``max_expansion_work``),
records per feed (``max_records``). A bound that stops the feed keeps what was read and makes
the run incomplete (exit status 3), so nothing is deleted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ris_connector.adapters.base import (
    Adapter,
    AdapterContext,
    AdapterOptions,
    Checkpoint,
    Item,
    Rejected,
    quarantine,
)
from ris_connector.adapters.ics import mapping, values
from ris_connector.adapters.ics.contentline import Prop
from ris_connector.adapters.ics.eventtimes import EventTime, WallTime, ZoneResolver, wall_time
from ris_connector.adapters.ics.feedtext import Event, EventSpan, FeedIndex, read_event, scan, strip_bom
from ris_connector.adapters.ics.notes import Notes
from ris_connector.adapters.ics.recurrence import Window, occurrences, rules
from ris_connector.adapters.ics.rrule import Rule
from ris_connector.config import parse_duration
from ris_connector.errors import ConfigError, DataError, InvalidPayload, LimitExceeded
from ris_connector.models import Appointment, Meeting, Provenance, Record
from ris_connector.normalize.ids import urn
from ris_connector.normalize.text import clean_text
from ris_connector.normalize.times import get_timezone
from ris_connector.notices.ics import (
    ICS_BAD_DTEND,
    ICS_BAD_DURATION,
    ICS_BAD_VALUE,
    ICS_DUPLICATE_UID,
    ICS_END_BEFORE_START,
    ICS_LONG_UID,
    ICS_MAX_RECORDS,
    ICS_NO_UID,
    ICS_PLACEHOLDER_DTEND,
    ICS_RECURRENCE_TOO_COSTLY,
    ICS_RECURRENCE_TRUNCATED,
    ICS_UID_COLLISION,
)

STREAM = "ics"
#: Most steps (periods, days looked at, occurrences made) one recurring event may take.
RULE_WORK = 200_000
#: A UID longer than this (characters) is replaced by its hash in the record id.
MAX_UID = 255
_MAX_WINDOW = 100 * 366 * 86400.0


class IcsOptions(AdapterOptions):
    """Options of the ``ics`` adapter (keys of a ``[[source]]`` table besides the core ones)."""

    kind: Literal["meetings", "appointments"] = Field(
        "meetings", description="meetings: RIS calendar -> Meeting; appointments: booking system -> Appointment"
    )
    recurrence_past: float = Field(
        365 * 86400.0, ge=0, le=_MAX_WINDOW, description="How far back RRULEs are expanded (duration, <= 100 years)."
    )
    recurrence_future: float = Field(
        730 * 86400.0, ge=0, le=_MAX_WINDOW, description="How far ahead RRULEs are expanded (duration, <= 100 years)."
    )
    max_occurrences: int = Field(1000, ge=1, le=100_000, description="Most occurrences one recurring event yields.")
    max_records: int = Field(
        50_000, ge=1, le=10_000_000, description="Most meetings/appointments read from one feed; beyond, the run stops."
    )
    max_expansion_work: int = Field(
        10_000_000, ge=1, le=10_000_000_000, description="Most recurrence steps for one feed; beyond, the run stops."
    )
    placeholder_end: bool = Field(
        True, description="Drop a DTEND at midnight after a timed DTSTART (ALLRIS 4); meetings only."
    )

    @field_validator("recurrence_past", "recurrence_future", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)


class IcsAdapter(Adapter[IcsOptions]):
    """iCalendar feeds: RIS meeting calendars (ALLRIS 4 SiKalAbo.ics) and booking systems."""

    name: ClassVar[str] = "ics"
    Options = IcsOptions
    description: ClassVar[str] = "iCalendar feeds: RIS meeting calendars and booking-system appointments"
    always_full: ClassVar[bool] = True

    def __init__(self, ctx: AdapterContext, options: IcsOptions) -> None:
        super().__init__(ctx, options)
        self.opts = options
        self.type_name = "Meeting" if options.kind == "meetings" else "Appointment"

    def fetch(self) -> Iterator[Item]:
        url = self.ctx.source.url
        if not url:
            raise ConfigError(f"source {self.ctx.source.name!r}: the ics adapter needs url = the feed's URL")
        started = self.ctx.clock.now()
        response = self.ctx.http.get(url, headers={"Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1"})
        notes = Notes()
        try:
            content = strip_bom(response.content, notes)
            index = scan(content, notes)
        except Exception as exc:  # whatever the bytes are: no traceback
            raise InvalidPayload(f"the feed could not be read ({type(exc).__name__})", url=url) from exc
        if not index.calendar:
            raise InvalidPayload("not an iCalendar feed: no BEGIN:VCALENDAR or BEGIN:VEVENT", url=url)
        resolver = ZoneResolver(get_timezone(self.ctx.source.timezone), notes, index.timezones)
        yield from _FeedRun(self, content, index, resolver, notes, started).items()


class _Stop(LimitExceeded):
    """A bound of the whole feed was reached (not a fault of one event: never quarantined)."""


class _FeedRun:
    """Turns the events of one feed into items, once per run."""

    def __init__(
        self,
        adapter: IcsAdapter,
        content: bytes,
        index: FeedIndex,
        resolver: ZoneResolver,
        notes: Notes,
        now: datetime,
    ) -> None:
        self.a = adapter
        self.opts = adapter.opts
        self.source = adapter.ctx.source.name
        self.content = content
        self.index = index
        self.resolver = resolver
        self.notes = notes
        self.now = now
        self.window_start = now - timedelta(seconds=self.opts.recurrence_past)
        self.window_end = now + timedelta(seconds=self.opts.recurrence_future)
        self.records = 0
        self.earliest: datetime | None = None
        """The earliest start of the meetings/appointments read (where the feed's window begins)."""
        self.work = 0
        self.ids: set[str] = set()
        self.locations: set[str] = set()
        self.overrides: dict[tuple[str, datetime], tuple[EventSpan, str | None]] = {}
        self.used_overrides: set[tuple[str, datetime]] = set()

    # --- the feed -----------------------------------------------------------------
    def items(self) -> Iterator[Item]:
        masters = self._masters(self._choose())
        try:
            for span, suffix in masters:
                yield from self._emit(self._event(span, suffix))
            for key, (span, suffix) in list(self.overrides.items()):
                if key not in self.used_overrides:  # an override whose series is not in the feed
                    yield from self._emit(self._event(span, suffix))
        except _Stop as stop:
            yield from self.notes.notices()
            raise LimitExceeded(str(stop), url=self.a.ctx.source.url, source=self.source) from None
        yield from self.notes.notices()
        if self.index.truncated:
            raise InvalidPayload(
                f"the feed ends inside an event (cut off?); {self.records} records of the complete events kept, "
                "nothing deleted",
                url=self.a.ctx.source.url,
                source=self.source,
            )
        yield Checkpoint.watermark(STREAM, self.now, covers_from=self._covers_from(), events=len(self.index.events))

    def _covers_from(self) -> datetime | None:
        """Where the feed's window of time begins. Feeds drop past meetings after some weeks
        (ALLRIS 4) and recurrences are read from ``recurrence_past`` on, so a stored record that
        started before the earliest start read (or before that bound) and is no longer listed
        left the window; a record of the future that vanished was removed, and is deleted."""
        if self.earliest is None:
            return None
        return min(self.now, max(self.earliest, self.window_start))

    def _emit(self, items: Iterable[Item]) -> Iterator[Item]:
        for item in items:
            if isinstance(item, (Meeting, Appointment)):
                if self.records >= self.opts.max_records:
                    message = (
                        f"source {self.source!r}: the feed has more than {self.opts.max_records} records "
                        f"(max_records); reading stopped at {item.id}"
                    )
                    self.notes.add(ICS_MAX_RECORDS, message)
                    raise _Stop(message)
                self.records += 1
                if item.start is not None and (self.earliest is None or item.start < self.earliest):
                    self.earliest = item.start
            yield item

    def _choose(self) -> list[tuple[EventSpan, str | None]]:
        """The copies to map: per UID (and RECURRENCE-ID) the newest; one UID on events with
        different starts keeps each, its id extended by the start (``ics-uid-collision``)."""
        spans = self.index.events
        groups: dict[tuple[str, str], list[int]] = {}
        for i, span in enumerate(spans):
            uid = _uid_text(span.key.get("UID"))
            if uid:
                groups.setdefault((uid, _raw_time(span.key.get("RECURRENCE-ID"))), []).append(i)
        dropped: set[int] = set()
        suffix: dict[int, str] = {}
        for (uid, recurrence), members in groups.items():
            if len(members) == 1:
                continue
            versions = {i: self._version(spans[i], uid) for i in members}
            newest = max(versions.values())
            by_start: dict[str, int] = {}
            for i in members:
                if versions[i] == newest and _raw_time(spans[i].key.get("DTSTART")) not in by_start:
                    by_start[_raw_time(spans[i].key.get("DTSTART"))] = i
            copies = [i for i in members if i not in by_start.values()]
            dropped.update(copies)
            if copies:
                self.notes.add(ICS_DUPLICATE_UID, f"UID {uid[:80]!r}: {len(copies)} other copies", len(copies))
            if len(by_start) > 1 and not recurrence:
                for start, i in by_start.items():
                    suffix[i] = re.sub(r"[^0-9A-Za-z]", "", start.rpartition(":")[2])[:24] or "nostart"
                self.notes.add(ICS_UID_COLLISION, f"UID {uid[:80]!r} on {len(by_start)} starts", len(by_start))
        return [(span, suffix.get(i)) for i, span in enumerate(spans) if i not in dropped]

    def _version(self, span: EventSpan, uid: str) -> tuple[int, str]:
        """(SEQUENCE, LAST-MODIFIED) of a copy: the larger is newer."""
        sequence, modified = -1, ""
        prop = span.key.get("SEQUENCE")
        if prop is not None:
            try:
                sequence = values.integer(prop.value)
            except ValueError:
                self.notes.add(ICS_BAD_VALUE, f"UID {uid[:80]!r}: SEQUENCE {prop.value[:20]!r}")
        prop = span.key.get("LAST-MODIFIED")
        if prop is not None:
            try:
                modified = values.date_or_datetime(prop.value, None)[0].isoformat()
            except ValueError:
                self.notes.add(ICS_BAD_VALUE, f"UID {uid[:80]!r}: LAST-MODIFIED {prop.value[:20]!r}")
        return sequence, modified

    def _masters(self, chosen: list[tuple[EventSpan, str | None]]) -> list[tuple[EventSpan, str | None]]:
        """Events without RECURRENCE-ID; overrides (keyed by UID and the start they replace) aside."""
        masters: list[tuple[EventSpan, str | None]] = []
        for span, suffix in chosen:
            uid = _uid_text(span.key.get("UID"))
            rec = span.key.get("RECURRENCE-ID")
            if rec is None or not uid:
                masters.append((span, suffix))
                continue
            try:
                original = wall_time(rec, self.resolver, Notes(), uid).resolve()
            except ValueError:
                masters.append((span, suffix))  # quarantined with its reason when it is mapped
                continue
            self.overrides[(uid, original.value)] = (span, suffix)
        return masters

    # --- one event ----------------------------------------------------------------
    def _event(self, span: EventSpan, suffix: str | None) -> list[Item]:
        """The items of one event, or one Rejected."""
        try:
            event = read_event(self.content, span)
        except Exception:  # never a traceback from source data
            raw = self.content[span.start : span.end][:20_000].decode("utf-8", errors="replace")
            return [Rejected("the event could not be read", raw, self.a.type_name)]
        return self._guarded(event, partial(self._records, event, suffix))

    def _guarded(self, event: Event, build: Callable[[], Iterable[Item]]) -> list[Item]:
        """Items of one event, or a Rejected: any fault of one event costs that event;
        appointment reasons never quote field values."""
        uid = _uid_text(event.first("UID"))
        ref = urn(self.source, self.a.type_name, _native_uid(uid)) if uid else None
        personal = self.a.type_name == "Appointment"
        return quarantine(event.raw, build, type_name=self.a.type_name, ref=ref, personal=personal, errors=(Exception,))

    def _records(self, event: Event, suffix: str | None) -> Iterator[Item]:
        uid = _uid_text(event.first("UID"))
        start_prop = event.first("DTSTART")
        if start_prop is None:
            raise DataError("event has no DTSTART")
        hint = uid[:80] if uid else f"line {event.number}"
        try:
            start_wall = wall_time(start_prop, self.resolver, self.notes, hint)
        except ValueError as exc:
            raise DataError(f"DTSTART cannot be read: {exc}") from None
        if uid and len(uid) > MAX_UID:
            self.notes.add(ICS_LONG_UID, f"UID of {len(uid)} characters at line {event.number}")
        native = _native_uid(uid) if uid else None
        if native is None:
            summary = clean_text(values.text(p.value)) if (p := event.first("SUMMARY")) else None
            native = mapping.native_id_without_uid(_raw_time(start_prop), summary or "")
        if suffix:
            native = f"{native}/{suffix}"
        base_id = urn(self.source, self.a.type_name, native)
        if not uid:
            self.notes.add(ICS_NO_UID, base_id)
        reader = mapping.EventReader(event, self.notes, hint, personal=self.a.type_name == "Appointment")
        recurrence_id = event.first("RECURRENCE-ID")
        if recurrence_id is not None:  # an override of one occurrence
            try:
                original = wall_time(recurrence_id, self.resolver, self.notes, hint).resolve()
            except ValueError as exc:
                raise DataError(f"RECURRENCE-ID cannot be read ({exc}): what it replaces is unknown") from None
            start = _resolve_start(start_wall)
            end, _ = self._end(event, start_wall, start, hint)
            yield from self._one(reader, _occurrence_id(base_id, original), start, end, native)
            return
        rule_list = rules(event, self.notes, hint) if event.all("RRULE") else []
        if not rule_list:
            start = _resolve_start(start_wall)
            end, _ = self._end(event, start_wall, start, hint)
            yield from self._one(reader, base_id, start, end, native)
            return
        yield from self._series(event, reader, rule_list, start_wall, base_id, native, hint)

    def _series(
        self,
        event: Event,
        reader: mapping.EventReader,
        rule_list: list[Rule],
        start_wall: WallTime,
        base_id: str,
        native: str,
        hint: str,
    ) -> Iterator[Item]:
        """The occurrences of a recurring event, each replaced by its override if the feed has one."""
        try:
            start: EventTime | None = start_wall.resolve()
        except ValueError:
            start = None  # a series may start in the year 1601; only its occurrences must be in range
        _, length = self._end(event, start_wall, start, hint)
        budget = self.opts.max_expansion_work - self.work
        if budget <= 0:
            self._stop_work(hint)
        window = Window(self.window_start, self.window_end, self.opts.max_occurrences, min(RULE_WORK, budget))
        found = occurrences(event, rule_list, start_wall, self.resolver, self.notes, hint, window)
        self.work += found.work
        if found.cut == "work":
            if budget <= RULE_WORK:
                self._stop_work(hint)
            self.notes.add(ICS_RECURRENCE_TOO_COSTLY, f"{base_id}: more than {RULE_WORK} steps")
        elif found.cut == "limit":
            self.notes.add(
                ICS_RECURRENCE_TRUNCATED, f"source {self.source!r}: {base_id}: first {window.max_occurrences} kept"
            )
        for occ in found.starts:
            override = self.overrides.get((native, occ.value))
            if override is not None:
                self.used_overrides.add((native, occ.value))
                yield from self._event(*override)
                continue
            occ_end = EventTime(occ.value + length, occ.all_day, occ.zone) if length is not None else None
            yield from self._one(reader, _occurrence_id(base_id, occ), occ, occ_end, native)

    def _stop_work(self, hint: str) -> None:
        message = (
            f"source {self.source!r}: expanding the feed's recurring events needs more than "
            f"{self.opts.max_expansion_work} steps (max_expansion_work); reading stopped at UID {hint!r}"
        )
        self.notes.add(ICS_MAX_RECORDS, message)
        raise _Stop(message)

    def _end(
        self, event: Event, start_wall: WallTime, start: EventTime | None, hint: str
    ) -> tuple[EventTime | None, timedelta | None]:
        """The end of an event and its length; an unreadable or impossible end is dropped."""
        end_prop, duration_prop = event.first("DTEND"), event.first("DURATION")
        end: EventTime | None = None
        if end_prop is not None:
            try:
                end_wall = wall_time(end_prop, self.resolver, self.notes, hint)
                if start is None:  # a series starting outside the record years: wall-time length
                    length = end_wall.wall - start_wall.wall
                    return None, length if end_wall.zone is start_wall.zone and length >= timedelta(0) else None
                end = end_wall.resolve()
            except (ValueError, OverflowError):
                self.notes.add(ICS_BAD_DTEND, f"{hint}: {end_prop.value[:40]!r}")
                return None, None
        elif duration_prop is not None:
            try:
                span = values.duration(duration_prop.value)
                if start is None:
                    return None, span if span >= timedelta(0) else None
                end = EventTime(start.value + span, start.all_day, start.zone)
                if not values.in_range(end.value):
                    raise ValueError("end out of range")
            except (ValueError, OverflowError):
                self.notes.add(ICS_BAD_DURATION, f"{hint}: {duration_prop.value[:40]!r}")
                return None, None
        if end is None or start is None:
            return None, None
        if end.value < start.value:
            self.notes.add(ICS_END_BEFORE_START, hint)
            return None, None
        if self.a.type_name == "Meeting" and self.opts.placeholder_end and mapping.is_placeholder_end(start, end):
            self.notes.add(ICS_PLACEHOLDER_DTEND, hint)
            return None, None
        return end, end.value - start.value

    def _one(
        self, reader: mapping.EventReader, rid: str, start: EventTime, end: EventTime | None, native: str
    ) -> Iterator[Record]:
        if rid in self.ids:
            self.notes.add(ICS_DUPLICATE_UID, rid)
            return
        self.ids.add(rid)
        provenance = Provenance(source=self.source, adapter="ics", original_id=native, fetched_at=self.now)
        place = mapping.location(reader, self.source, provenance)
        if place is not None and place.id not in self.locations:
            self.locations.add(place.id)
            yield place
        if self.a.type_name == "Meeting":
            yield mapping.meeting(reader, rid, start, end, place, self.a.ctx.clock.now(), provenance)
        else:
            yield mapping.appointment(reader, rid, start, end, place, provenance)


def _resolve_start(start_wall: WallTime) -> EventTime:
    try:
        return start_wall.resolve()
    except ValueError as exc:
        raise DataError(f"DTSTART {exc}") from None


def _uid_text(prop: Prop | None) -> str | None:
    return clean_text(values.text(prop.value)) if prop is not None else None


def _native_uid(uid: str) -> str:
    if len(uid) <= MAX_UID:
        return uid
    return "uidhash-" + hashlib.blake2b(uid.encode("utf-8", errors="replace"), digest_size=16).hexdigest()


def _raw_time(prop: Prop | None) -> str:
    """A DTSTART/RECURRENCE-ID as written (``TZID:value``): stable, for keys and derived ids."""
    if prop is None:
        return ""
    return f"{prop.param('TZID') or ''}:{prop.value.strip()}"


def _occurrence_id(base_id: str, occ: EventTime) -> str:
    stamp = (
        occ.value.astimezone(occ.zone).strftime("%Y%m%d")
        if occ.all_day
        else occ.value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    )
    return f"{base_id}/{stamp}"


__all__ = ["IcsAdapter", "IcsOptions"]
