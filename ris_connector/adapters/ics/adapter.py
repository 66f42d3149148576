"""The ``ics`` adapter: reads one iCalendar feed per source and yields meetings or appointments.

A feed is always a complete listing, so the adapter sets ``always_full``: every run is a
full run, and events that vanished from the feed are deleted by the engine's absence check
(guarded by ``max_delete_fraction`` like every full run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, ClassVar, Literal

import icalendar
from pydantic import Field, ValidationError, field_validator

from ris_connector.adapters.base import (
    LIST_CUT,
    Adapter,
    AdapterContext,
    AdapterOptions,
    Checkpoint,
    Item,
    Notice,
    Rejected,
)
from ris_connector.adapters.ics import mapping
from ris_connector.adapters.ics.eventtimes import EventTime, ZoneResolver, event_time, feed_zones
from ris_connector.adapters.ics.recurrence import Window, occurrences
from ris_connector.config import parse_duration
from ris_connector.errors import ConfigError, DataError, InvalidPayload
from ris_connector.models import Location, Provenance, Record
from ris_connector.normalize.ids import urn
from ris_connector.normalize.times import get_timezone

STREAM = "ics"


class IcsOptions(AdapterOptions):
    """Options of the ``ics`` adapter (keys of a ``[[source]]`` table besides the core ones)."""

    kind: Literal["meetings", "appointments"] = Field(
        "meetings", description="meetings: RIS calendar -> Meeting; appointments: booking system -> Appointment"
    )
    recurrence_past: float = Field(
        365 * 86400.0, ge=0, le=100 * 365 * 86400.0, description="How far back RRULEs are expanded (duration)."
    )
    recurrence_future: float = Field(
        730 * 86400.0, ge=0, le=100 * 365 * 86400.0, description="How far ahead RRULEs are expanded (duration)."
    )
    max_occurrences: int = Field(1000, ge=1, le=10_000_000, description="Most occurrences one recurring event yields.")
    max_records: int = Field(
        100_000,
        ge=1,
        le=100_000_000,
        description="Most records one feed yields in a run (occurrences and locations included); a feed with "
        "more is cut off there and the run is incomplete (docs/limits.md).",
    )
    placeholder_end: bool = Field(
        True, description="Drop a DTEND at midnight after a timed DTSTART (ALLRIS 4); meetings only."
    )

    @field_validator("recurrence_past", "recurrence_future", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)


class IcsAdapter(Adapter):
    """iCalendar feeds: RIS meeting calendars (ALLRIS 4 SiKalAbo.ics) and booking systems."""

    name: ClassVar[str] = "ics"
    Options = IcsOptions
    description: ClassVar[str] = "iCalendar feeds: RIS meeting calendars and booking-system appointments"
    always_full: ClassVar[bool] = True

    def __init__(self, ctx: AdapterContext, options: AdapterOptions) -> None:
        super().__init__(ctx, options)
        assert isinstance(options, IcsOptions)
        self.opts = options
        self.type_name = "Meeting" if options.kind == "meetings" else "Appointment"
        self._locations: set[str] = set()
        self._ids: set[int] = set()
        """Hashes of the ids yielded in this run: 64-bit ints cost a third of the id strings in a
        feed that yields a million records (a collision, about 1 in 10**7 there, drops one record)."""
        self._notes: dict[str, list[str]] = {}

    # --- reading -----------------------------------------------------------------
    def fetch(self) -> Iterator[Item]:
        url = self.ctx.source.url
        if not url:
            raise ConfigError(f"source {self.ctx.source.name!r}: the ics adapter needs url = the feed's URL")
        started = self.ctx.clock.now()
        response = self.ctx.http.get(url, headers={"Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1"})
        text, relabelled = _decode(response.content)
        if relabelled:
            yield Notice("ics-encoding", f"{url}: feed is not UTF-8; read as cp1252")
        calendars = self._parse(text, url)
        vtimezones = [c for cal in calendars for c in cal.walk("VTIMEZONE")]
        zones, broken = feed_zones(vtimezones)
        for tzid in broken:
            yield Notice("ics-broken-vtimezone", f"VTIMEZONE {tzid!r} could not be read; its name is used instead")
        resolver = ZoneResolver(default=get_timezone(self.ctx.source.timezone), feed_zones=zones)
        events = [e for cal in calendars for e in cal.walk("VEVENT")]
        overrides, masters = _split_overrides(events, resolver)
        window = Window(
            started - timedelta(seconds=self.opts.recurrence_past),
            started + timedelta(seconds=self.opts.recurrence_future),
            self.opts.max_occurrences,
        )
        ctx = _EventContext(self, resolver, window, overrides, started)
        yield from self._bounded(self._events(ctx, masters, overrides), url)
        yield from self._summary_notices(resolver)
        yield Checkpoint(STREAM, {"fetched": started.isoformat(), "events": len(events)})

    def _events(self, ctx: _EventContext, masters: list[Any], overrides: dict[Any, Any]) -> Iterator[Item]:
        for event in masters:
            yield from self._guarded(event, partial(ctx.records, event))
        for key, event in overrides.items():
            if key not in ctx.used_overrides:  # an override whose series is not in the feed
                yield from self._guarded(event, partial(ctx.records, event))

    def _bounded(self, items: Iterator[Item], url: str) -> Iterator[Item]:
        """``items`` up to ``max_records`` records; then a ``list-limit-records`` notice (the run
        is incomplete: a 250 KB feed of hourly rules made two million meetings)."""
        limit = self.opts.max_records
        count = 0
        for item in items:
            if isinstance(item, Record):
                if count >= limit:
                    message = f"{url}: more than {limit} records in the feed (max_records); feed cut off"
                    yield Notice(f"{LIST_CUT}-records", message)
                    return
                count += 1
            yield item

    def _parse(self, text: str, url: str) -> list[Any]:
        try:
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
        except (ValueError, IndexError, KeyError) as exc:
            raise InvalidPayload(
                f"not an iCalendar feed: {str(exc).splitlines()[0][:160] if str(exc) else exc}",
                url=url,
                source=self.ctx.source.name,
            ) from None
        calendars = [c for c in calendars if getattr(c, "name", "") == "VCALENDAR"]
        if not calendars:
            raise InvalidPayload("not an iCalendar feed: no VCALENDAR", url=url, source=self.ctx.source.name)
        return calendars

    def _guarded(self, event: Any, build: Callable[[], Iterable[Item]]) -> Iterator[Item]:
        """Items of one event, or a Rejected; appointment reasons never quote field values."""
        try:
            items = list(build())
        except (DataError, ValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
            uid = mapping.text(event, "UID")
            ref = urn(self.ctx.source.name, self.type_name, uid) if uid else None
            yield Rejected(_reason(exc, personal=self.type_name == "Appointment"), _raw(event), self.type_name, ref)
            return
        yield from items

    def note(self, code: str, ref: str) -> None:
        """Remember a deviation for one record; reported once per code with a count."""
        self._notes.setdefault(code, []).append(ref)

    def location(self, record: Location | None) -> Iterator[Record]:
        """Yield a Location once per run."""
        if record is not None and record.id not in self._locations:
            self._locations.add(record.id)
            yield record

    def claim(self, rid: str) -> bool:
        """False if ``rid`` was already yielded in this run (a duplicate UID)."""
        key = hash(rid)
        if key in self._ids:
            self.note("ics-duplicate-uid", rid)
            return False
        self._ids.add(key)
        return True

    def _summary_notices(self, resolver: ZoneResolver) -> Iterator[Notice]:
        messages = {
            "ics-placeholder-dtend": "DTEND at midnight after the start is a placeholder, not an end; dropped",
            "ics-no-uid": "event without UID; id derived from DTSTART and SUMMARY",
            "ics-duplicate-uid": "UID seen twice in the feed; the first event kept",
            "ics-end-before-start": "DTEND before DTSTART; end dropped",
            "ics-recurrence-truncated": "recurring event has more occurrences than max_occurrences; cut",
        }
        for code, refs in sorted(self._notes.items()):
            yield Notice(code, f"{messages.get(code, code)} (e.g. {refs[0]})", len(refs))
        if resolver.unknown:
            names = ", ".join(sorted(resolver.unknown))
            yield Notice("ics-unknown-tzid", f"unknown TZID {names}; read in {self.ctx.source.timezone}")
        if resolver.aliased:
            names = ", ".join(sorted(resolver.aliased))
            yield Notice("ics-tzid-alias", f"non-IANA TZID {names} mapped to a timezone", len(resolver.aliased))


class _EventContext:
    """Turns events into records for one run (holds the window and the RECURRENCE-ID overrides)."""

    def __init__(
        self,
        adapter: IcsAdapter,
        resolver: ZoneResolver,
        window: Window,
        overrides: dict[tuple[str, datetime], Any],
        now: datetime,
    ) -> None:
        self.a = adapter
        self.resolver = resolver
        self.window = window
        self.overrides = overrides
        self.used_overrides: set[tuple[str, datetime]] = set()
        self.now = now

    def records(self, event: Any) -> Iterator[Item]:
        source = self.a.ctx.source.name
        start_prop = event.get("DTSTART")
        if start_prop is None:
            raise DataError("event has no DTSTART")
        start = event_time(start_prop, self.resolver, "DTSTART")
        end = self._end(event, start)
        uid = mapping.text(event, "UID")
        native = uid or mapping.native_id_without_uid(_raw_value(start_prop), mapping.text(event, "SUMMARY") or "")
        base_id = urn(source, self.a.type_name, native)
        if not uid:
            self.a.note("ics-no-uid", base_id)
        recurrence_id = event.get("RECURRENCE-ID")
        if recurrence_id is not None:  # an override of one occurrence
            original = event_time(recurrence_id, self.resolver, "RECURRENCE-ID")
            yield from self._one(event, _occurrence_id(base_id, original), start, end, native)
            return
        if event.get("RRULE") is None:
            yield from self._one(event, base_id, start, end, native)
            return
        starts, truncated = occurrences(event, start, self.resolver, self.window)
        if truncated:
            self.a.note("ics-recurrence-truncated", base_id)
        length = end.value - start.value if end else None
        for occ in starts:
            override = self.overrides.get((native, occ.value))
            if override is not None:
                self.used_overrides.add((native, occ.value))
                yield from self.a._guarded(override, partial(self.records, override))
                continue
            occ_end = EventTime(occ.value + length, occ.all_day, occ.zone) if length is not None else None
            yield from self._one(event, _occurrence_id(base_id, occ), occ, occ_end, native)

    def _end(self, event: Any, start: EventTime) -> EventTime | None:
        rid_hint = mapping.text(event, "UID") or "(no UID)"
        end_prop = event.get("DTEND")
        end: EventTime | None = None
        if end_prop is not None:
            end = event_time(end_prop, self.resolver, "DTEND")
        elif event.get("DURATION") is not None:
            duration = event.decoded("DURATION")
            if isinstance(duration, timedelta):
                end = EventTime(start.value + duration, start.all_day, start.zone)
        if end is None:
            return None
        if end.value < start.value:
            self.a.note("ics-end-before-start", rid_hint)
            return None
        if self.a.type_name == "Meeting" and self.a.opts.placeholder_end and mapping.is_placeholder_end(start, end):
            self.a.note("ics-placeholder-dtend", rid_hint)
            return None
        return end

    def _one(self, event: Any, rid: str, start: EventTime, end: EventTime | None, native: str) -> Iterator[Record]:
        if not self.a.claim(rid):
            return
        provenance = Provenance(source=self.a.ctx.source.name, adapter="ics", original_id=native, fetched_at=self.now)
        place = mapping.location(event, self.a.ctx.source.name, provenance)
        yield from self.a.location(place)
        if self.a.type_name == "Meeting":
            yield mapping.meeting(event, rid, start, end, place, self.a.ctx.clock.now(), provenance)
        else:
            yield mapping.appointment(event, rid, start, end, place, provenance)


def _occurrence_id(base_id: str, occ: EventTime) -> str:
    stamp = (
        occ.value.astimezone(occ.zone).strftime("%Y%m%d")
        if occ.all_day
        else occ.value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    )
    return f"{base_id}/{stamp}"


def _split_overrides(events: list[Any], resolver: ZoneResolver) -> tuple[dict[tuple[str, datetime], Any], list[Any]]:
    """Events with RECURRENCE-ID (keyed by UID and original start) apart from the others."""
    overrides: dict[tuple[str, datetime], Any] = {}
    masters: list[Any] = []
    for event in events:
        uid = mapping.text(event, "UID")
        rec = event.get("RECURRENCE-ID")
        if rec is None or not uid:
            masters.append(event)
            continue
        try:
            original = event_time(rec, resolver, "RECURRENCE-ID")
        except DataError:
            masters.append(event)  # reported as rejected when it is mapped
            continue
        overrides[(uid, original.value)] = event
    return overrides, masters


def _decode(content: bytes) -> tuple[str, bool]:
    """iCalendar is UTF-8 (RFC 5545); some servers send cp1252 - read that rather than fail."""
    try:
        return content.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace"), True


def _raw_value(prop: Any) -> str:
    tzid = prop.params.get("TZID", "") if hasattr(prop, "params") else ""
    try:
        value = prop.to_ical()
    except (ValueError, AttributeError):
        value = str(prop).encode()
    return f"{tzid}:{value.decode() if isinstance(value, bytes) else value}"


def _raw(event: Any) -> str:
    try:
        return str(event.to_ical().decode("utf-8", errors="replace"))
    except Exception:  # a broken event may not serialize; keep what we can
        return repr(dict(event))[:4000]


def _reason(exc: Exception, *, personal: bool) -> str:
    if isinstance(exc, DataError):
        return str(exc)
    if isinstance(exc, ValidationError):
        fields = ", ".join(sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()}))
        if personal:
            return f"invalid value in {fields}"
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    first = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}" if personal else f"{type(exc).__name__}: {first}"
