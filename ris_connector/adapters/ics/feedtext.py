"""From the bytes of a feed to content lines and components, repairing what real feeds break.

Two passes over the bytes keep memory at the size of the feed: :func:`scan` reads every line
once, counts each line repair (``ics-fold-without-space``, ``ics-encoding``, ...), keeps the
VTIMEZONE components and, per VEVENT, only its byte span and the few properties that decide
which copy of a UID wins; :func:`read_event` reads one event again from its span when it is
mapped.

Line repairs, in the order they apply:

* a byte order mark is removed (UTF-16 with a BOM is decoded);
* bare LF and bare CR end lines as CRLF does;
* empty lines are skipped;
* a line starting with a space or tab continues the line before (RFC 5545 folding);
* a line that does not start like a content line (a known property name or ``X-`` name
  followed by ``;`` or ``:``) continues the line before as well: directly when the line
  before was long (folded at a width without the space) or ended inside a UTF-8 sequence,
  otherwise after a line break (a raw line break inside a value);
* each unfolded line is read as UTF-8, else as cp1252.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ris_connector.adapters.ics.contentline import Prop, parse_line
from ris_connector.adapters.ics.notes import Notes
from ris_connector.notices.ics import (
    ICS_BAD_PARAMETER,
    ICS_BLANK_LINE,
    ICS_BOM,
    ICS_ENCODING,
    ICS_FOLD_WITHOUT_SPACE,
    ICS_LINE_BREAK_IN_VALUE,
    ICS_LINE_ENDS,
    ICS_NO_END_VCALENDAR,
    ICS_TOO_MANY_VTIMEZONES,
    ICS_TRUNCATED,
    ICS_UNBALANCED_COMPONENT,
    ICS_UNREADABLE_LINE,
)

#: A line before a continuation at least this long (bytes) was folded, not broken by hand.
FOLD_WIDTH = 70
#: Most VTIMEZONE components kept per feed (each may cost up to its transition cap).
MAX_VTIMEZONES = 100
#: Most characters of an event kept as the raw payload of a quarantined record.
MAX_RAW = 20_000

#: Property names of RFC 5545, 7986, 9073 and 9074 (besides ``X-`` names): a line that starts
#: with one of them followed by ``;`` or ``:`` is a content line, any other line a continuation.
KNOWN_NAMES = frozenset(
    b"""BEGIN END CALSCALE METHOD PRODID VERSION ATTACH CATEGORIES CLASS COMMENT DESCRIPTION GEO
    LOCATION PERCENT-COMPLETE PRIORITY RESOURCES STATUS SUMMARY COMPLETED DTEND DUE DTSTART
    DURATION FREEBUSY TRANSP TZID TZNAME TZOFFSETFROM TZOFFSETTO TZURL ATTENDEE CONTACT ORGANIZER
    RECURRENCE-ID RELATED-TO URL UID EXDATE EXRULE RDATE RRULE ACTION REPEAT TRIGGER CREATED
    DTSTAMP LAST-MODIFIED SEQUENCE REQUEST-STATUS NAME REFRESH-INTERVAL SOURCE COLOR IMAGE
    CONFERENCE TZUNTIL TZID-ALIAS-OF ACKNOWLEDGED PROXIMITY BUSYTYPE LOCATION-TYPE
    PARTICIPANT-TYPE CALENDAR-ADDRESS RESOURCE-TYPE STRUCTURED-DATA STYLED-DESCRIPTION""".split()
)
_NAME_AT_START = re.compile(rb"([A-Za-z0-9-]+)[;:]")
_PHYSICAL = re.compile(rb"[^\r\n]*(\r\n|\n|\r)?")
_CP1252 = {i: bytes([i]).decode("cp1252", errors="ignore") or chr(i) for i in range(0x80, 0xA0)}
#: Components that live directly in a VCALENDAR: one opening while another is open closes it.
_TOP_LEVEL = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"})
_KEY_PROPS = frozenset({"UID", "RECURRENCE-ID", "SEQUENCE", "LAST-MODIFIED", "DTSTART"})


@dataclass(frozen=True)
class Line:
    """One unfolded line: its text, where it starts (byte offset, physical line number)."""

    text: str
    offset: int
    number: int
    end: int


@dataclass
class Component:
    """A component read whole (a VTIMEZONE and its STANDARD/DAYLIGHT observances)."""

    name: str
    props: list[Prop] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def first(self, name: str) -> Prop | None:
        """The first property called ``name``."""
        return next((p for p in self.props if p.name == name), None)


@dataclass
class EventSpan:
    """Where one VEVENT lies in the feed and what decides between copies of its UID."""

    start: int
    number: int
    end: int = -1
    key: dict[str, Prop] = field(default_factory=dict)


@dataclass
class Event:
    """One VEVENT read again from its span: its own properties by name (VALARMs left out)."""

    props: dict[str, list[Prop]]
    raw: str
    number: int

    def first(self, name: str) -> Prop | None:
        """The first property called ``name``, if any."""
        values = self.props.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[Prop]:
        """Every property called ``name``."""
        return self.props.get(name, [])


@dataclass
class FeedIndex:
    """What the first pass found: events by span, VTIMEZONEs by TZID, and how the feed ended."""

    events: list[EventSpan]
    timezones: dict[str, Component]
    calendar: bool
    truncated: bool


class _Lines:
    """Unfolds physical lines into :class:`Line` objects and counts each repair."""

    def __init__(self, content: bytes, notes: Notes | None) -> None:
        self.content = content
        self.notes = notes

    def _note(self, code: str, number: int) -> None:
        if self.notes is not None:
            self.notes.add(code, f"line {number}")

    def read(self, start: int = 0, end: int | None = None, number: int = 1) -> Iterator[Line]:
        content = self.content
        stop = len(content) if end is None else end
        parts: list[bytes] = []
        first = (0, 0)
        last = 0  # where the last physical line of the current line ends
        previous = b""
        pos = start
        number -= 1
        while pos < stop:
            match = _PHYSICAL.match(content, pos, stop)
            assert match is not None  # the pattern matches the empty string
            offset, pos = pos, match.end()
            if pos == offset:  # cannot happen with pos < stop, but never loop
                break
            number += 1
            ending = match.group(1)
            body = match.group()[: -len(ending)] if ending else match.group()
            if ending is not None and ending != b"\r\n":
                self._note(ICS_LINE_ENDS, number)
            if not body.strip():
                self._note(ICS_BLANK_LINE, number)
                continue
            if body[:1] in (b" ", b"\t") and parts:
                parts.append(body[1:])
            elif parts and not _starts_content_line(body) and not _is_begin_end(parts[0]):
                if len(previous) >= FOLD_WIDTH or _ends_inside_utf8(previous):
                    self._note(ICS_FOLD_WITHOUT_SPACE, number)
                    parts.append(body)
                else:
                    self._note(ICS_LINE_BREAK_IN_VALUE, number)
                    parts.append(b"\\n" + body)
            else:
                if parts:
                    yield self._line(parts, first, last)
                parts = [body.lstrip(b" \t")]
                first = (offset, number)
            last = pos
            previous = body
        if parts:
            yield self._line(parts, first, last)

    def _line(self, parts: list[bytes], first: tuple[int, int], end: int) -> Line:
        raw = parts[0] if len(parts) == 1 else b"".join(parts)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1").translate(_CP1252)
            self._note(ICS_ENCODING, first[1])
        return Line(text, first[0], first[1], end)


def _starts_content_line(body: bytes) -> bool:
    match = _NAME_AT_START.match(body)
    if match is None:
        return False
    name = match.group(1).upper()
    return name in KNOWN_NAMES or name.startswith(b"X-")


def _is_begin_end(first_part: bytes) -> bool:
    return first_part[:6].upper() == b"BEGIN:" or first_part[:4].upper() == b"END:"


def _ends_inside_utf8(body: bytes) -> bool:
    """True if ``body`` ends with an incomplete UTF-8 sequence (a fold split a character)."""
    tail = 0
    index = len(body) - 1
    while index >= 0 and tail < 3 and 0x80 <= body[index] < 0xC0:
        index -= 1
        tail += 1
    if index < 0:
        return False
    lead = body[index]
    needed = 1 if 0xC0 <= lead < 0xE0 else 2 if 0xE0 <= lead < 0xF0 else 3 if 0xF0 <= lead < 0xF8 else 0
    return needed > tail


def strip_bom(content: bytes, notes: Notes) -> bytes:
    """The feed without a byte order mark; UTF-16 (with a BOM) as UTF-8."""
    if content.startswith(codecs.BOM_UTF8):
        notes.add(ICS_BOM, "UTF-8 byte order mark")
        return content[len(codecs.BOM_UTF8) :]
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        notes.add(ICS_BOM, "UTF-16 byte order mark; decoded")
        return content.decode("utf-16", errors="replace").encode("utf-8")
    return content


def scan(content: bytes, notes: Notes) -> FeedIndex:
    """First pass: every line once; events as spans, VTIMEZONEs whole (see the module doc)."""
    state = _ScanState()
    for line in _Lines(content, notes).read():
        prop, broken = parse_line(line.text)
        if prop is None:
            notes.add(ICS_UNREADABLE_LINE, f"line {line.number}")
            continue
        if broken:
            notes.add(ICS_BAD_PARAMETER, f"line {line.number}: {prop.name}")
        if prop.name == "BEGIN":
            state.begin(prop.value.strip().upper(), line, notes)
        elif prop.name == "END":
            state.end(prop.value.strip().upper(), line, notes)
        else:
            state.property(prop, line, notes)
    truncated = state.event is not None or bool(state.zone)
    if not truncated and state.stack == ["VCALENDAR"]:
        notes.add(ICS_NO_END_VCALENDAR, "the feed ends without END:VCALENDAR")
    if truncated:
        notes.add(ICS_TRUNCATED, f"the feed ends inside {'a VEVENT' if state.event else 'a VTIMEZONE'}")
    if state.zones_ignored:
        notes.add(ICS_TOO_MANY_VTIMEZONES, f"{state.zones_ignored} VTIMEZONEs after the first {MAX_VTIMEZONES}")
    return FeedIndex(state.events, state.timezones, state.calendar, truncated)


class _ScanState:
    """The open components while :func:`scan` reads, and what it has found."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.events: list[EventSpan] = []
        self.timezones: dict[str, Component] = {}
        self.event: EventSpan | None = None
        self.zone: list[Component] = []  # the open VTIMEZONE and its open observance
        self.calendar = False
        self.zones_ignored = 0

    def begin(self, kind: str, line: Line, notes: Notes) -> None:
        self.calendar = self.calendar or kind in ("VCALENDAR", "VEVENT")
        if kind == "VCALENDAR" or kind in _TOP_LEVEL:
            keep = () if kind == "VCALENDAR" else ("VCALENDAR",)
            while self.stack and self.stack[-1] not in keep:
                notes.add(ICS_UNBALANCED_COMPONENT, f"line {line.number}: BEGIN:{kind} before END:{self.stack[-1]}")
                self._close(line.offset)
        self.stack.append(kind)
        if kind == "VEVENT":
            self.event = EventSpan(line.offset, line.number)
        elif kind == "VTIMEZONE":
            self.zone = [Component(kind)]
        elif kind in ("STANDARD", "DAYLIGHT") and len(self.zone) == 1 and self.stack[-2] == "VTIMEZONE":
            self.zone.append(Component(kind))

    def end(self, kind: str, line: Line, notes: Notes) -> None:
        if kind not in self.stack:
            notes.add(ICS_UNBALANCED_COMPONENT, f"line {line.number}: END:{kind} without BEGIN")
            return
        while self.stack[-1] != kind:
            notes.add(ICS_UNBALANCED_COMPONENT, f"line {line.number}: END:{kind} before END:{self.stack[-1]}")
            self._close(line.offset)
        self._close(line.end)

    def property(self, prop: Prop, line: Line, notes: Notes) -> None:
        if not self.stack:
            notes.add(ICS_UNREADABLE_LINE, f"line {line.number}: {prop.name} outside VCALENDAR")
        elif self.event is not None and self.stack[-1] == "VEVENT":
            if prop.name in _KEY_PROPS:
                self.event.key.setdefault(prop.name, prop)
        elif self.zone and self.stack[-1] in ("VTIMEZONE", "STANDARD", "DAYLIGHT"):
            self.zone[-1].props.append(prop)

    def _close(self, end: int) -> None:
        """Close the innermost open component; finish an event span or a VTIMEZONE."""
        kind = self.stack.pop()
        if kind == "VEVENT" and self.event is not None:
            self.event.end = end
            self.events.append(self.event)
            self.event = None
        elif kind == "VTIMEZONE" and self.zone:
            zone = self.zone[0]
            tzid = zone.first("TZID")
            name = tzid.value.strip() if tzid is not None else ""
            if name and name not in self.timezones:
                if len(self.timezones) < MAX_VTIMEZONES:
                    self.timezones[name] = zone
                else:
                    self.zones_ignored += 1
            self.zone = []
        elif kind in ("STANDARD", "DAYLIGHT") and len(self.zone) == 2:
            self.zone[0].children.append(self.zone.pop())


def read_event(content: bytes, span: EventSpan) -> Event:
    """Second pass: the properties of one VEVENT, nested components (VALARM) left out."""
    props: dict[str, list[Prop]] = {}
    raw: list[str] = []
    size = 0
    depth = 0
    for line in _Lines(content, None).read(span.start, span.end, span.number):
        if size < MAX_RAW:
            raw.append(line.text)
            size += len(line.text)
        prop, _ = parse_line(line.text)
        if prop is None:
            continue
        if prop.name == "BEGIN":
            depth += 1
            continue
        if prop.name == "END":
            depth -= 1
            continue
        if depth == 1:
            props.setdefault(prop.name, []).append(prop)
    return Event(props, "\n".join(raw)[:MAX_RAW], span.number)
