"""iCalendar feeds for tests and ``bench/ics_hostile.py``: good events, and the hostile cases of
issues 13 and 14 (a SECONDLY rule from 2000, a VTIMEZONE that repeats every second, a date in
the year 1, a 250 KB feed of hourly rules).

Every feed is text with LF line ends; ``IcsServer.put`` serves it with CRLF.
"""

from __future__ import annotations

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
