"""The codes of the ``ics`` adapter (iCalendar feeds): every repair and every dropped value.

``docs/sources/icalendar.md`` explains each with an example; a test keeps that page and these
codes in step.
"""

from __future__ import annotations

from ris_connector.notices.code import NoticeCode

# the bytes and lines of the feed
ICS_BOM = NoticeCode("ics-bom", "byte order mark at the start of the feed", "removed (UTF-16 decoded)")
ICS_ENCODING = NoticeCode("ics-encoding", "lines that are not UTF-8", "read as cp1252")
ICS_LINE_ENDS = NoticeCode("ics-line-ends", "lines ended by a bare LF or CR instead of CRLF", "read as line ends")
ICS_BLANK_LINE = NoticeCode("ics-blank-line", "empty lines", "skipped")
ICS_FOLD_WITHOUT_SPACE = NoticeCode(
    "ics-fold-without-space", "folded line continued without the leading space", "joined to the line before"
)
ICS_LINE_BREAK_IN_VALUE = NoticeCode("ics-line-break-in-value", "raw line break inside a value", "kept as a line break")
ICS_UNREADABLE_LINE = NoticeCode("ics-unreadable-line", "line that is no content line (NAME[;params]:value)", "dropped")
ICS_BAD_PARAMETER = NoticeCode(
    "ics-bad-parameter", "property parameter with broken syntax", "the parameter dropped, the value kept"
)
ICS_UNBALANCED_COMPONENT = NoticeCode(
    "ics-unbalanced-component", "BEGIN/END that do not pair up", "the component closed where it must end"
)
ICS_NO_END_VCALENDAR = NoticeCode(
    "ics-no-end-vcalendar", "feed ends without END:VCALENDAR after complete events", "read as complete"
)
ICS_TRUNCATED = NoticeCode(
    "ics-truncated", "feed ends inside an event (cut off)", "the cut event dropped, the run incomplete"
)
ICS_TOO_MANY_VTIMEZONES = NoticeCode(
    "ics-too-many-vtimezones", "more VTIMEZONE components than are read", "the rest ignored"
)

# identity
ICS_NO_UID = NoticeCode("ics-no-uid", "event without UID", "id derived from DTSTART and SUMMARY")
ICS_LONG_UID = NoticeCode("ics-long-uid", "UID longer than 255 characters", "id made from its hash")
ICS_DUPLICATE_UID = NoticeCode(
    "ics-duplicate-uid", "UID (and RECURRENCE-ID) seen more than once", "the newest copy kept"
)
ICS_UID_COLLISION = NoticeCode(
    "ics-uid-collision", "one UID on events with different starts", "each kept, its id extended by its start"
)

# times
ICS_UNKNOWN_TZID = NoticeCode("ics-unknown-tzid", "unknown TZID", "read in the source's timezone")
ICS_TZID_ALIAS = NoticeCode(
    "ics-tzid-alias", "non-IANA TZID (Windows or Outlook name, quotes, prefixes)", "mapped to an IANA zone"
)
ICS_BROKEN_VTIMEZONE = NoticeCode(
    "ics-broken-vtimezone", "VTIMEZONE that cannot be read", "the zone taken from its TZID name"
)
ICS_VTIMEZONE_TOO_COSTLY = NoticeCode(
    "ics-vtimezone-too-costly", "VTIMEZONE whose rules give too many transitions", "the zone taken from its TZID name"
)
ICS_DATE_FORMAT = NoticeCode(
    "ics-date-format", "date or time written in another form (dashes, colons, no seconds, second 60)", "read"
)
ICS_VALUE_TYPE = NoticeCode(
    "ics-value-type", "VALUE= parameter that does not fit the value", "the value read by its form"
)
ICS_BAD_DTEND = NoticeCode(
    "ics-bad-dtend", "DTEND that cannot be read or is out of range", "the event kept without end"
)
ICS_BAD_DURATION = NoticeCode(
    "ics-bad-duration", "DURATION that cannot be read or is out of range", "the event kept without end"
)
ICS_END_BEFORE_START = NoticeCode("ics-end-before-start", "DTEND before DTSTART", "end dropped")
ICS_PLACEHOLDER_DTEND = NoticeCode(
    "ics-placeholder-dtend", "DTEND at midnight after the start is a placeholder, not an end", "dropped"
)

# recurrence
ICS_BAD_RRULE = NoticeCode("ics-bad-rrule", "RRULE that cannot be read", "the event kept as one occurrence at DTSTART")
ICS_BAD_RECURRENCE_DATE = NoticeCode(
    "ics-bad-recurrence-date", "EXDATE or RDATE value that cannot be read", "that date ignored"
)
ICS_RECURRENCE_TRUNCATED = NoticeCode(
    "ics-recurrence-truncated", "recurring event with more occurrences in the window than max_occurrences", "cut"
)
ICS_RECURRENCE_TOO_COSTLY = NoticeCode(
    "ics-recurrence-too-costly", "RRULE that needs more work than allowed to reach or fill the window", "cut"
)

# other values
ICS_GEO_REPAIRED = NoticeCode(
    "ics-geo-repaired", "GEO written with another separator (comma, space) or decimal commas", "read"
)
ICS_BAD_GEO = NoticeCode("ics-bad-geo", "GEO that cannot be read or lies outside -90..90/-180..180", "dropped")
ICS_BAD_URL = NoticeCode("ics-bad-url", "URL that is no absolute http(s) URL", "dropped")
ICS_BAD_ORGANIZER = NoticeCode("ics-bad-organizer", "ORGANIZER without a name or address", "dropped")
ICS_UNKNOWN_STATUS = NoticeCode("ics-unknown-status", "STATUS that is no RFC 5545 value", "kept as the source's text")
ICS_BAD_VALUE = NoticeCode("ics-bad-value", "SEQUENCE, LAST-MODIFIED or DTSTAMP that cannot be read", "ignored")
ICS_CONTROL_CHARACTERS = NoticeCode(
    "ics-control-characters", "control characters in text values", "removed", control_characters=True
)

# bounds
ICS_MAX_RECORDS = NoticeCode(
    "ics-max-records", "the feed has more records than max_records", "reading stopped, the run incomplete"
)
