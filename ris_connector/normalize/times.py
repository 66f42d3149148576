"""Tolerant parsing of dates and date-times as real sources write them.

Handles ``Z``, ``+0100``, the ALLRIS ``+01::00`` typo, missing offsets (read in the source's
timezone), dates where a date-time is expected (midnight local time) and date-times where a
date is expected (the date part). Naive local times are resolved explicitly across DST:
a time in the spring-forward gap is moved forward by the gap, an ambiguous time in the
autumn overlap is read as the first (summer-time) occurrence.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Berlin"

#: Years a date of a council can have. Outside them a value is a placeholder (``0001-01-01``)
#: or garbage, and near the ends of ``datetime`` conversions between time zones overflow.
PLAUSIBLE_YEARS = (1000, 9000)


def plausible_year(year: int) -> bool:
    """Whether ``year`` is within :data:`PLAUSIBLE_YEARS`."""
    return PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1]


_DOUBLE_COLON = re.compile(r"([+-]\d{2})::(\d{2})$")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
_BASIC_FORMAT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?)?(Z)?$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The spelling OParl prescribes; ``datetime.fromisoformat`` reads it as it stands.
_ISO_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}:\d{2}\Z")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*Uhr)?)?$")

#: Windows and other non-IANA names that real feeds use.
_TZ_ALIASES = {
    "w. europe standard time": "Europe/Berlin",
    "central europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris",
    "mitteleuropäische zeit": "Europe/Berlin",
    "mez": "Europe/Berlin",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
    "europe/berlin standard time": "Europe/Berlin",
    "(utc+01:00) amsterdam, berlin, bern, rome, stockholm, vienna": "Europe/Berlin",
    "(utc+01:00) amsterdam, berlin, bern, rom, stockholm, wien": "Europe/Berlin",
    "(gmt+01:00) amsterdam, berlin, bern, rome, stockholm, vienna": "Europe/Berlin",
}

#: An IANA ``Area/City`` name at the end of a longer TZID (``/mozilla.org/20050126_1/Europe/Berlin``).
_IANA_TAIL = re.compile(r"([A-Za-z]+/[A-Za-z_+-]+)/?$")


@lru_cache(maxsize=64)
def get_timezone(name: str | None) -> tzinfo:
    """The timezone for an IANA name or a known alias; ValueError if unknown."""
    if not name:
        return ZoneInfo(DEFAULT_TIMEZONE)
    text = " ".join(name.strip().strip("\"'").split())
    key = _TZ_ALIASES.get(text.lower(), text)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        tail = _IANA_TAIL.search(text)
        if tail and tail.group(1) != text:
            try:
                return ZoneInfo(tail.group(1))
            except (ZoneInfoNotFoundError, ValueError):
                pass
        raise ValueError(f"unknown timezone {name!r}") from exc


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a naive local time, resolving DST gaps and overlaps explicitly."""
    aware = naive.replace(tzinfo=tz, fold=0)
    roundtrip = aware.astimezone(timezone.utc).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != naive:
        # In the spring-forward gap: the wall time does not exist; move it forward by the gap.
        # The gap is measured around it, not through ``fold``, which not every tzinfo honours
        # (dateutil zones built from an iCalendar VTIMEZONE give both folds the same offset).
        before = naive.replace(tzinfo=tz) - _TRANSITION_REACH
        after = naive.replace(tzinfo=tz) + _TRANSITION_REACH
        gap = (after.utcoffset() or timedelta()) - (before.utcoffset() or timedelta())
        return (naive + gap).replace(tzinfo=tz, fold=0) if gap > timedelta() else roundtrip
    return aware


#: How far either side of a non-existent local time the offsets before and after a DST gap are read.
_TRANSITION_REACH = timedelta(hours=6)


def _clean(value: str) -> str:
    text = value.strip()
    text = _DOUBLE_COLON.sub(r"\1:\2", text)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    return _COMPACT_OFFSET.sub(r"\1:\2", text) if "T" in text or " " in text else text


def parse_datetime(value: object, tz: tzinfo | str | None = None) -> datetime | None:
    """An aware datetime from what a source wrote, or None for empty input.

    Raises ValueError for text that is no date or date-time at all.
    """
    if value is None:
        return None
    zone = tz if isinstance(tz, tzinfo) else get_timezone(tz)
    if isinstance(value, datetime):
        return value if value.tzinfo else localize(value, zone)
    if isinstance(value, date):
        return localize(datetime.combine(value, time()), zone)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"not a date-time: {value!r}")
    text = value.strip()
    if _ISO_WITH_OFFSET.match(text):
        with contextlib.suppress(ValueError):  # the general path below gives the error
            return datetime.fromisoformat(text)
    if not text or text.upper() in {"N/A", "NULL", "NONE", "-"}:
        return None
    basic = _BASIC_FORMAT.match(text)
    if basic:
        y, mo, d, h, mi, s, z = basic.groups()
        naive = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
        return naive.replace(tzinfo=timezone.utc) if z else localize(naive, zone)
    german = _GERMAN_DATE.match(text)
    if german:
        d, mo, y, h, mi, s = german.groups()
        return localize(datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0)), zone)
    if _DATE_ONLY.match(text):
        return localize(datetime.combine(date.fromisoformat(text), time()), zone)
    try:
        parsed = datetime.fromisoformat(_clean(text))
    except ValueError as exc:
        raise ValueError(f"not a date-time: {value!r}") from exc
    return parsed if parsed.tzinfo else localize(parsed, zone)


def parse_date(value: object) -> date | None:
    """A date from a date, a date-time (its date part as written) or German ``d.m.Y``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    if not text or text.upper() in {"N/A", "NULL", "NONE", "-"}:
        return None
    if _DATE_ONLY.match(text):
        return date.fromisoformat(text)
    german = _GERMAN_DATE.match(text)
    if german:
        d, mo, y = german.groups()[:3]
        return date(int(y), int(mo), int(d))
    basic = _BASIC_FORMAT.match(text)
    if basic:
        return date(int(basic.group(1)), int(basic.group(2)), int(basic.group(3)))
    head = text[:10]
    if _DATE_ONLY.match(head) and len(text) > 10 and text[10] in "T ":
        return date.fromisoformat(head)
    raise ValueError(f"not a date: {value!r}")


def format_query_datetime(value: datetime) -> str:
    """ISO 8601 with offset and without microseconds, as OParl filters expect."""
    return value.replace(microsecond=0).isoformat()
