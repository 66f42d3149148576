"""Every deviation the ``ics`` adapter tolerates, by code, and the counter that reports them.

A repair or a dropped value never goes unseen: it is counted under its code, and the run
report shows the code, the count and the first example (``docs/sources/icalendar.md`` lists
them all with an example each; a test keeps that page and this table in step).
"""

from __future__ import annotations

from collections.abc import Iterator

from ris_connector.adapters.base import Notice

#: code -> what happened and what the adapter did about it.
NOTICES: dict[str, str] = {
    # the bytes and lines of the feed
    "ics-bom": "byte order mark at the start of the feed; removed (UTF-16 decoded)",
    "ics-encoding": "lines that are not UTF-8; read as cp1252",
    "ics-line-ends": "lines ended by a bare LF or CR instead of CRLF; read as line ends",
    "ics-blank-line": "empty lines; skipped",
    "ics-fold-without-space": "folded line continued without the leading space; joined to the line before",
    "ics-line-break-in-value": "raw line break inside a value; kept as a line break",
    "ics-unreadable-line": "line that is no content line (NAME[;params]:value); dropped",
    "ics-bad-parameter": "property parameter with broken syntax; the parameter dropped, the value kept",
    "ics-unbalanced-component": "BEGIN/END that do not pair up; the component closed where it must end",
    "ics-no-end-vcalendar": "feed ends without END:VCALENDAR after complete events; read as complete",
    "ics-truncated": "feed ends inside an event (cut off); the cut event dropped, the run incomplete",
    "ics-too-many-vtimezones": "more VTIMEZONE components than are read; the rest ignored",
    # identity
    "ics-no-uid": "event without UID; id derived from DTSTART and SUMMARY",
    "ics-long-uid": "UID longer than 255 characters; id made from its hash",
    "ics-duplicate-uid": "UID (and RECURRENCE-ID) seen more than once; the newest copy kept",
    "ics-uid-collision": "one UID on events with different starts; each kept, its id extended by its start",
    # times
    "ics-unknown-tzid": "unknown TZID; read in the source's timezone",
    "ics-tzid-alias": "non-IANA TZID (Windows or Outlook name, quotes, prefixes) mapped to an IANA zone",
    "ics-broken-vtimezone": "VTIMEZONE that cannot be read; the zone taken from its TZID name",
    "ics-vtimezone-too-costly": "VTIMEZONE whose rules give too many transitions; the zone taken from its TZID name",
    "ics-date-format": "date or time written in another form (dashes, colons, no seconds, second 60); read",
    "ics-value-type": "VALUE= parameter that does not fit the value; the value read by its form",
    "ics-bad-dtend": "DTEND that cannot be read or is out of range; the event kept without end",
    "ics-bad-duration": "DURATION that cannot be read or is out of range; the event kept without end",
    "ics-end-before-start": "DTEND before DTSTART; end dropped",
    "ics-placeholder-dtend": "DTEND at midnight after the start is a placeholder, not an end; dropped",
    # recurrence
    "ics-bad-rrule": "RRULE that cannot be read; the event kept as one occurrence at DTSTART",
    "ics-bad-recurrence-date": "EXDATE or RDATE value that cannot be read; that date ignored",
    "ics-recurrence-truncated": "recurring event with more occurrences in the window than max_occurrences; cut",
    "ics-recurrence-too-costly": "RRULE that needs more work than allowed to reach or fill the window; cut",
    # other values
    "ics-geo-repaired": "GEO written with another separator (comma, space) or decimal commas; read",
    "ics-bad-geo": "GEO that cannot be read or lies outside -90..90/-180..180; dropped",
    "ics-bad-url": "URL that is no absolute http(s) URL; dropped",
    "ics-bad-organizer": "ORGANIZER without a name or address; dropped",
    "ics-unknown-status": "STATUS that is no RFC 5545 value; kept as the source's text",
    "ics-bad-value": "SEQUENCE, LAST-MODIFIED or DTSTAMP that cannot be read; ignored",
    "ics-control-characters": "control characters in text values; removed",
    # bounds
    "ics-max-records": "the feed has more records than max_records; reading stopped, the run incomplete",
}


class Notes:
    """Counts per code with the first example; bounded whatever the feed holds."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._examples: dict[str, str] = {}

    def add(self, code: str, example: str, count: int = 1) -> None:
        """Count ``count`` deviations of ``code``; the first example is kept."""
        if code not in NOTICES:
            raise KeyError(f"undocumented ics notice {code!r}")
        if code not in self._counts:
            self._counts[code] = 0
            self._examples[code] = example[:300]
        self._counts[code] += count

    def count(self, code: str) -> int:
        """How many ``code`` deviations were counted."""
        return self._counts.get(code, 0)

    def notices(self) -> Iterator[Notice]:
        """One :class:`Notice` per code, in code order; the counter is emptied."""
        for code in sorted(self._counts):
            yield Notice(code, f"{NOTICES[code]} (e.g. {self._examples[code]})", self._counts[code])
        self._counts.clear()
        self._examples.clear()
