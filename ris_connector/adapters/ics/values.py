"""Values of iCalendar properties (RFC 5545 section 3.3), read tolerantly.

Every reader raises ``ValueError`` for a value it cannot read (the caller decides whether that
costs the value or the record) and returns the repairs it made as notice codes.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta

from ris_connector.notices.ics import ICS_DATE_FORMAT, ICS_VALUE_TYPE

#: Years a record's start or end may lie in; anything else is a broken value, not a meeting.
FIRST_YEAR = 1900
LAST_YEAR = 2999

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "N": "\n"}
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?", re.IGNORECASE)
_ISO_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?Z?)?", re.IGNORECASE)
_DURATION = re.compile(
    r"([+-])?P(?:(\d{1,9})W)?(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})S)?)?", re.IGNORECASE
)
_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)"
_GEO = re.compile(rf"\s*({_NUMBER})\s*(;|,|\s)\s*({_NUMBER})\s*")
#: Longest DURATION read (about 100 years): beyond it no meeting ends.
MAX_DURATION = timedelta(days=36_600)


def text(value: str) -> str:
    """A TEXT value unescaped: ``\\n`` is a line break, ``\\,`` ``\\;`` ``\\\\`` the character."""
    if "\\" not in value:
        return value
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def text_list(value: str) -> list[str]:
    """A comma-separated list of TEXT values (CATEGORIES), each unescaped."""
    items: list[str] = []
    current: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            items.append(text("".join(current)))
            current = []
        else:
            current.append(char)
    items.append(text("".join(current)))
    return items


def date_or_datetime(value: str, value_type: str | None) -> tuple[date | datetime, bool, list[str]]:
    """A DATE (``date``) or DATE-TIME (naive ``datetime``), whether it is UTC, and repairs.

    The form of the value decides: a date with a time is a DATE-TIME whatever ``VALUE=`` says
    (``ics-value-type``), unless the time is midnight and ``VALUE=DATE`` was given.
    """
    repairs: list[str] = []
    raw = value.strip()[:40]
    if _ISO_LIKE.fullmatch(raw):
        raw = raw.replace("-", "").replace(":", "").split(".")[0] + ("Z" if raw.upper().endswith("Z") else "")
        repairs.append(ICS_DATE_FORMAT)
    match = _DATE_TIME.fullmatch(raw)
    if match is None:
        raise ValueError(f"not a date or date-time: {value[:60]!r}")
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match.group(4) is None:
            if value_type not in (None, "DATE"):
                repairs.append(ICS_VALUE_TYPE)
            return day, False, repairs
        second = int(match.group(6)) if match.group(6) is not None else 0
        if match.group(6) is None or second == 60:
            repairs.append(ICS_DATE_FORMAT)
            second = min(second, 59)
        moment = datetime.combine(day, time(int(match.group(4)), int(match.group(5)), second))
    except ValueError as exc:
        raise ValueError(f"not a valid date or date-time: {value[:60]!r} ({exc})") from None
    utc = match.group(7) is not None
    if value_type == "DATE":
        repairs.append(ICS_VALUE_TYPE)
        if moment.time() == time() and not utc:
            return moment.date(), False, repairs
    elif value_type not in (None, "DATE-TIME"):
        repairs.append(ICS_VALUE_TYPE)
    return moment, utc, repairs


def in_range(moment: date | datetime) -> bool:
    """Whether ``moment`` lies in the years a record may have (``FIRST_YEAR``-``LAST_YEAR``)."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def duration(value: str) -> timedelta:
    """A DURATION (``P1W``, ``PT1H30M``, ``-P1D``); ValueError beyond ``MAX_DURATION``."""
    match = _DURATION.fullmatch(value.strip()[:80])
    if match is None or not any(match.group(i) for i in range(2, 7)):
        raise ValueError(f"not a duration: {value[:60]!r}")
    weeks, days, hours, minutes, seconds = (int(match.group(i) or 0) for i in range(2, 7))
    if weeks * 7 + days + (hours * 3600 + minutes * 60 + seconds) / 86400 > MAX_DURATION.days:
        raise ValueError(f"duration beyond {MAX_DURATION.days} days: {value[:60]!r}")
    span = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return -span if match.group(1) == "-" else span


def geo(value: str) -> tuple[float, float, bool]:
    """Latitude, longitude and whether the spelling was repaired (``lat,lon``, decimal commas).

    ValueError for anything else, for values outside -90..90/-180..180 and for 0;0 (a
    placeholder, not a place in the Gulf of Guinea).
    """
    match = _GEO.fullmatch(value) if len(value) <= 80 else None
    if match is None:
        raise ValueError(f"not latitude;longitude: {value[:60]!r}")
    lat_text, separator, lon_text = match.group(1), match.group(2), match.group(3)
    if separator == "," and "," in lat_text + lon_text:
        raise ValueError(f"ambiguous commas: {value[:60]!r}")
    repaired = value.strip() != f"{lat_text};{lon_text}" or "," in lat_text + lon_text
    lat_text, lon_text = lat_text.replace(",", "."), lon_text.replace(",", ".")
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise ValueError(f"not latitude;longitude: {value[:60]!r}") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"outside -90..90/-180..180: {value[:60]!r}")
    if lat == 0 and lon == 0:
        raise ValueError("0;0 is a placeholder")
    return lat, lon, repaired


def integer(value: str) -> int:
    """An INTEGER in RFC 5545's range (32 bits)."""
    raw = value.strip()
    if not re.fullmatch(r"[+-]?\d{1,10}", raw):
        raise ValueError(f"not an integer: {value[:60]!r}")
    number = int(raw)
    if not -(2**31) <= number < 2**31:
        raise ValueError(f"integer out of range: {value[:60]!r}")
    return number


def utc_offset(value: str) -> timedelta:
    """A UTC-OFFSET (``+0100``, ``-053000``) strictly within a day."""
    match = re.fullmatch(r"([+-])(\d{2})(\d{2})(\d{2})?", value.strip())
    if match is None:
        raise ValueError(f"not a UTC offset: {value[:60]!r}")
    hours, minutes, seconds = int(match.group(2)), int(match.group(3)), int(match.group(4) or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"UTC offset out of range: {value[:60]!r}")
    offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return -offset if match.group(1) == "-" else offset
