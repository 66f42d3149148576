"""iCalendar feeds for tests and ``bench/ics_hostile.py``: good events, and the hostile cases of
issues 13 and 14 (a SECONDLY rule from 2000, a VTIMEZONE that repeats every second, a date in
the year 1, a 250 KB feed of hourly rules).

Every feed is text with LF line ends; ``IcsServer.put`` serves it with CRLF.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ris_connector.clock import Clock, FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import Store
from ris_connector.sync import RunReport, run_source
from tests.support.ristest import FAST_HTTP

#: The clock of the ics tests: "held" and "scheduled" do not drift with the calendar.
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)

GOOD_EVENTS = """BEGIN:VEVENT
UID:gut-1
DTSTART;TZID=Europe/Berlin:20260610T170000
DTEND;TZID=Europe/Berlin:20260610T190000
SUMMARY:Rat der Stadt
LOCATION:Rathaus\\, Ratssaal
URL:https://ris.example.de/si010?SILFDNR=1
END:VEVENT
BEGIN:VEVENT
UID:gut-2
DTSTART;TZID=Europe/Berlin:20260611T180000
SUMMARY:Hauptausschuss
END:VEVENT"""
#: Records the good events give: two Meetings and one Location.
GOOD_RECORDS = {"Meeting": 2, "Location": 1}


def calendar(*parts: str) -> str:
    """A VCALENDAR around ``parts`` (components as text)."""
    body = "\n".join(p.strip("\n") for p in parts if p)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//ris-connector tests//DE\n{body}\nEND:VCALENDAR\n"


def secondly_from_2000() -> str:
    """A rule that repeats every second since 2000 (main walked every second since DTSTART)."""
    hostile = """BEGIN:VEVENT
UID:jede-sekunde
DTSTART:20000101T000000Z
RRULE:FREQ=SECONDLY
SUMMARY:Sekundentakt
END:VEVENT"""
    return calendar(GOOD_EVENTS, hostile)


def per_second_vtimezone() -> str:
    """A VTIMEZONE whose observances change every second (main's memory grew without end)."""
    zone = """BEGIN:VTIMEZONE
TZID:Sekundenzone
BEGIN:STANDARD
DTSTART:19700101T000000
RRULE:FREQ=SECONDLY
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700101T000000
RRULE:FREQ=SECONDLY;BYSECOND=30
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE"""
    event = """BEGIN:VEVENT
UID:zone-ereignis
DTSTART;TZID=Sekundenzone:20260612T170000
SUMMARY:Sitzung in der Sekundenzone
END:VEVENT"""
    return calendar(zone, GOOD_EVENTS, event)


def year_one() -> str:
    """An event in the year 1 among good ones (main raised and lost the whole feed)."""
    event = """BEGIN:VEVENT
UID:jahr-eins
DTSTART:00010101T000000
SUMMARY:Sitzung im Jahr 1
END:VEVENT"""
    return calendar(event, GOOD_EVENTS)


def hourly_rules(size: int = 250_000) -> str:
    """About ``size`` bytes of events that each repeat hourly (main: 2 million meetings)."""
    events: list[str] = []
    length = 0
    index = 0
    while length < size:
        event = (
            f"BEGIN:VEVENT\nUID:stuendlich-{index}\nDTSTART:20260101T{index % 24:02d}0000Z\n"
            f"RRULE:FREQ=HOURLY\nSUMMARY:Stündlich {index}\nEND:VEVENT"
        )
        events.append(event)
        length += len(event) + 1
        index += 1
    return calendar(*events)


HOSTILE = {
    "secondly-from-2000": secondly_from_2000,
    "per-second-vtimezone": per_second_vtimezone,
    "year-1": year_one,
    "hourly-rules-250kb": hourly_rules,
}


def fold_without_space(text: str, width: int = 75) -> bytes:
    """``text`` as a broken server writes it: lines longer than ``width`` bytes cut every
    ``width`` bytes (even inside a UTF-8 character) without the leading space, CRLF line ends."""
    out: list[bytes] = []
    for line in text.strip("\n").split("\n"):
        raw = line.encode("utf-8")
        out.extend(raw[i : i + width] for i in range(0, max(len(raw), 1), width))
    return b"\r\n".join(out) + b"\r\n"


def fold(text: str, width: int = 75) -> str:
    """``text`` folded as RFC 5545 wants (at ``width`` characters, continuation with a space)."""
    out: list[str] = []
    for line in text.strip("\n").split("\n"):
        out.append(line[:width])
        out.extend(" " + line[i : i + width - 1] for i in range(width, len(line), width - 1))
    return "\n".join(out)


def sync_ics(url: str, store: Store, *, name: str = "stadt", clock: Clock | None = None, **extra: Any) -> RunReport:
    """One sync of the feed at ``url`` into ``store`` with fast HTTP settings and a fixed clock."""
    source = source_from_mapping({"name": name, "adapter": "ics", "url": url, "http": FAST_HTTP, **extra})
    return run_source(source, store, clock=clock or FixedClock(NOW))


def stored(store: Store, type_name: str) -> dict[str, dict[str, Any]]:
    """The stored records of one type by id."""
    return {row.id: row.data for row in store.iter_rows(type_name=type_name)}


def warning(report: RunReport, code: str) -> dict[str, Any] | None:
    """The report's warning of ``code`` (code, count, example), if any."""
    return next((w for w in report.to_json_dict()["warnings"] if w["code"] == code), None)


def warned(report: RunReport, code: str) -> int:
    """How often the report counted ``code``."""
    found = warning(report, code)
    return int(found["count"]) if found else 0
