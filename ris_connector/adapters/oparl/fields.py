"""Tolerant readers for single OParl values; each problem becomes a counted notice.

:class:`ValueReader` reads a value it is given; the OParl mapper's
:class:`~ris_connector.adapters.oparl.mapper.ObjectReader` reads the same by key of one object.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from datetime import datetime as _datetime
from functools import partial
from typing import Any, TypeVar

from ris_connector.adapters.base import Notice
from ris_connector.normalize.ids import canonical_url, is_url
from ris_connector.normalize.text import LONGEST_PLACEHOLDER, clean_text
from ris_connector.normalize.times import PLAUSIBLE_YEARS, parse_date, parse_datetime, plausible_year
from ris_connector.notices.oparl import (
    Q7_ARRAY,
    Q17_DATETIME_IN_DATE,
    Q17_DOUBLE_COLON,
    Q18_MIMETYPE,
    Q18_PLACEHOLDER,
    Q27_GEOJSON,
    Q37_DATE_FOR_DATETIME,
    Q37_NAIVE_DATETIME,
    Q37_NUMBER_REFERENCE,
    Q37_SINGLE_VALUE,
)
from ris_connector.notices.values import IMPLAUSIBLE_DATE, INVALID_REFERENCE, INVALID_VALUE, UNEXPECTED_STRUCTURE

D = TypeVar("D", date, datetime)
#: Integers beyond 64 bits are no size, order or position (and not every store takes them).
_HUGE_INT = 2**63
_TRUE = frozenset({"true", "1", "ja", "yes", "wahr"})
_FALSE = frozenset({"false", "0", "nein", "no", "falsch"})
#: Date-time strings a mapper remembers (many records share created/modified stamps).
_TIMES_CACHE = 4096

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ISO_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}:\d{2}\Z")
_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}:{0,2}\d{2})$")

#: File extensions that servers put into ``mimeType`` (quirk 18).
MIME_BY_EXTENSION = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "htm": "text/html",
    "html": "text/html",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "zip": "application/zip",
    "eml": "message/rfc822",
    "msg": "application/vnd.ms-outlook",
}


def show(value: Any, limit: int = 80) -> str:
    """The start of a value for a notice: never more than ``limit`` characters, never raising."""
    try:
        text = repr(value[:limit] if isinstance(value, str) else value)
    except (ValueError, RecursionError):  # an integer beyond the str conversion limit, deep nesting
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def prescribed_datetime(value: str, times: dict[str, datetime]) -> datetime | None:
    """``value`` read if spelled as OParl prescribes (with seconds and offset) and plausible:
    nothing to note, nothing to repair. Remembered in ``times`` (bounded); None otherwise."""
    known = times.get(value)
    if known is not None:
        return known
    if not _ISO_WITH_OFFSET.match(value):
        return None
    try:
        parsed = _datetime.fromisoformat(value)
    except ValueError:
        return None
    return _remember(times, value, parsed)


def prescribed_date(value: str, dates: dict[str, date]) -> date | None:
    """``value`` read if spelled ``YYYY-MM-DD`` in ASCII digits and plausible (what
    :meth:`ValueReader.date_of` reads without a notice). Remembered in ``dates``; else None."""
    known = dates.get(value)
    if known is not None:
        return known
    if not (
        len(value) == 10
        and value.isascii()
        and value[4] == value[7] == "-"
        and value[:4].isdigit()
        and value[5:7].isdigit()
        and value[8:].isdigit()
    ):
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return _remember(dates, value, parsed)


def _remember(cache: dict[str, D], text: str, parsed: D) -> D | None:
    """``parsed`` kept in ``cache`` under ``text`` if its year is plausible (else None)."""
    if not plausible_year(parsed.year):
        return None
    if len(cache) >= _TIMES_CACHE:
        cache.clear()
    cache[text] = parsed
    return parsed


class ValueReader:
    """Reads values of one record; collects notices instead of failing on a bad field.

    Each ``*_of`` method takes a value and the name of its field (for notices).
    """

    def __init__(
        self,
        *,
        tz: tzinfo,
        notices: list[Notice],
        where: str,
        scheme_for: dict[str, str] | None = None,
        canonical: Callable[[str], str] | None = None,
        times: dict[str, datetime] | None = None,
    ) -> None:
        self.tz = tz
        self.times: dict[str, datetime] = {} if times is None else times
        """Date-times already read in the prescribed spelling (shared across records, bounded)."""
        self.canonical: Callable[[str], str] = canonical or partial(canonical_url, scheme_for=scheme_for)
        """Canonical id of a URL: the mapper's cached one, else :func:`canonical_url`."""
        self.notices = notices
        self.where = where

    def note(self, code: str, message: str) -> None:
        """Record a tolerated deviation."""
        self.notices.append(Notice(code, f"{self.where}: {message}"))

    def text_of(self, value: Any, field: str = "") -> str | None:
        """A cleaned string; placeholders (``"N/A"``, ``" "``, ``""``) become None (quirk 18).

        Numbers are kept as their text; booleans, non-finite numbers and structures are
        dropped with a notice.
        """
        if value is None:
            return None
        if type(value) is str and len(value) > LONGEST_PLACEHOLDER and value.isprintable():
            stripped = value.strip()  # the common case: no placeholder, nothing to remove
            if len(stripped) > LONGEST_PLACEHOLDER:
                return stripped
        if isinstance(value, (dict, list)):
            if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], (dict, list)):
                return self.text_of(value[0], field)
            self.note(UNEXPECTED_STRUCTURE, f"{field}: expected text, got {type(value).__name__}; dropped")
            return None
        if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
            self.note(INVALID_VALUE, f"{field}: {show(value)} is not text; dropped")
            return None
        if isinstance(value, int) and abs(value) >= _HUGE_INT:
            self.note(INVALID_VALUE, f"{field}: number of {value.bit_length()} bits is not text; dropped")
            return None
        cleaned = clean_text(value)
        if cleaned is None and isinstance(value, str):
            self._placeholder(value, field)
        return cleaned

    def texts_of(self, value: Any, field: str = "") -> list[str]:
        """A list of strings; a single value becomes a one-element list (quirk 37)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.note(Q37_SINGLE_VALUE, f"{field}: single value where a list is expected")
            value = [value]
        out = [t for t in (self.text_of(v, field) for v in value) if t]
        return out

    def url_of(self, value: Any, field: str = "") -> str | None:
        """A URL as given; the record model keeps only http(s) URLs (``unsafe-url`` notices)."""
        return self.text_of(value, field)

    def ref_of(self, value: Any, field: str = "") -> str | None:
        """The canonical id of a referenced object given as URL; numbers are dropped (quirk 37)."""
        if value is None:
            return None
        if type(value) is str and value.startswith(("http://", "https://")):
            try:
                return self.canonical(value)  # the common case; is_url below says the same
            except ValueError:
                self.note(INVALID_REFERENCE, f"{field}: {show(value)} is not a URL; dropped")
                return None
        if isinstance(value, dict):
            raw_id = value.get("id")
            if not isinstance(raw_id, str):
                self.note(INVALID_REFERENCE, f"{field}: object without id where a reference is expected; dropped")
                return None
            return self.ref_of(raw_id, field)
        if isinstance(value, list):
            if len(value) == 1:
                self.note(Q7_ARRAY, f"{field}: one-element array where a reference is expected")
                return self.ref_of(value[0], field)
            if value:
                self.note(INVALID_REFERENCE, f"{field}: {len(value)} values where one reference is expected; dropped")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.note(Q37_NUMBER_REFERENCE, f"{field}: number {show(value)} where a URL is expected; dropped")
            return None
        if not is_url(value):
            if isinstance(value, str) and clean_text(value) is None:
                self._placeholder(value, field)
            else:
                self.note(INVALID_REFERENCE, f"{field}: {show(value)} is not a URL; dropped")
            return None
        try:
            return self.canonical(str(value))
        except ValueError:
            self.note(INVALID_REFERENCE, f"{field}: {show(value)} is not a URL; dropped")
            return None

    def refs_of(self, value: Any, field: str = "") -> list[str]:
        """References as a list; a single reference becomes a list (quirk 19/37)."""
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        out: list[str] = []
        for v in value:
            r = self.ref_of(v, field)
            if r and r not in out:
                out.append(r)
        return out

    def datetime_of(self, value: Any, field: str = "") -> datetime | None:
        """A timezone-aware date-time (naive values in the source's zone, quirks 17/37)."""
        if type(value) is str:
            parsed = prescribed_datetime(value, self.times)
            if parsed is not None:
                return parsed
        if isinstance(value, str):
            text = value.strip()
            if _DATE_ONLY.match(text):
                self.note(Q37_DATE_FOR_DATETIME, f"{field}: date {text!r} where a date-time is expected")
            elif _ISO_TIME.match(text) and not _OFFSET.search(text):
                self.note(Q37_NAIVE_DATETIME, f"{field}: {show(text)} has no UTC offset; read in {self.tz}")
        return self._parse(value, field, lambda v: parse_datetime(v, self.tz), "date-time")

    def date_of(self, value: Any, field: str = "") -> date | None:
        """A date; date-times in date fields are truncated to their date (quirk 17)."""
        if isinstance(value, str) and len(value.strip()) > 10:
            self.note(Q17_DATETIME_IN_DATE, f"{field}: date-time {show(value)} where a date is expected")
        return self._parse(value, field, parse_date, "date")

    def _parse(self, value: Any, field: str, parse: Callable[[Any], D | None], what: str) -> D | None:
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            self.note(UNEXPECTED_STRUCTURE, f"{field}: expected a {what}, got {type(value).__name__}; dropped")
            return None
        if isinstance(value, str) and "::" in value:
            self.note(Q17_DOUBLE_COLON, f"{field}: offset written with '::' ({show(value)})")
        try:
            parsed = parse(value)
        except (ValueError, OverflowError, OSError):
            self.note(INVALID_VALUE, f"{field}: {show(value)} is not a {what}; dropped")
            return None
        if parsed is None:
            if isinstance(value, str):
                self._placeholder(value, field)
            return None
        if not plausible_year(parsed.year):
            years = "-".join(map(str, PLAUSIBLE_YEARS))
            self.note(IMPLAUSIBLE_DATE, f"{field}: {show(value)} is outside the years {years}; dropped")
            return None
        return parsed

    def boolean_of(self, value: Any, field: str = "") -> bool | None:
        """A boolean from true/false, 1/0, "true"/"ja"/"nein"."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            if clean_text(text) is None:
                self._placeholder(value, field)
                return None
        elif type(value) is int and value in (0, 1):
            return value == 1
        self.note(INVALID_VALUE, f"{field}: {show(value)} is not a boolean; dropped")
        return None

    def integer_of(self, value: Any, field: str = "") -> int | None:
        """An integer from a number or numeric text, within 64 bits."""
        if value is None:
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and len(value) <= 40:
            try:
                number = int(value.strip())
            except ValueError:
                number = None
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        if number is not None and -_HUGE_INT < number < _HUGE_INT:
            return number
        if isinstance(value, str) and clean_text(value) is None:
            self._placeholder(value, field)
        else:
            self.note(INVALID_VALUE, f"{field}: {show(value)} is not an integer; dropped")
        return None

    def _placeholder(self, value: str, field: str) -> None:
        """Note a placeholder such as ``"N/A"`` given for a value (an empty string says nothing)."""
        if value:
            self.note(Q18_PLACEHOLDER, f"{field}: placeholder {show(value)} dropped")

    def mime_type_of(self, value: Any) -> str | None:
        """A MIME type; bare extensions such as ``"pdf"`` are mapped (quirk 18)."""
        text = self.text_of(value, "mimeType")
        if text is None:
            return None
        if "/" not in text:
            mapped = MIME_BY_EXTENSION.get(text.lower().lstrip("."))
            self.note(Q18_MIMETYPE, f"mimeType {text!r} is a file extension")
            return mapped
        return text.lower()

    def geojson_of(self, value: Any, field: str = "geojson") -> dict[str, Any] | None:
        """GeoJSON if it is well-formed enough to draw; otherwise dropped (quirk 27)."""
        if value is None:
            return None
        try:
            if isinstance(value, dict) and _valid_geojson(value):
                return value
        except RecursionError:  # collections nested deeper than the checker goes
            pass
        self.note(Q27_GEOJSON, f"{field}: invalid GeoJSON dropped: {show(value)}")
        return None


def _valid_position(pos: Any) -> bool:
    return (
        isinstance(pos, list)
        and len(pos) == 2
        and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in pos)
        and -180 <= pos[0] <= 180
        and -90 <= pos[1] <= 90
    )


def _valid_coordinates(kind: str, coords: Any) -> bool:
    if kind == "Point":
        return _valid_position(coords)
    if kind in {"LineString", "MultiPoint"}:
        return isinstance(coords, list) and bool(coords) and all(_valid_position(p) for p in coords)
    if kind in {"Polygon", "MultiLineString"}:
        return isinstance(coords, list) and bool(coords) and all(_valid_coordinates("LineString", r) for r in coords)
    if kind == "MultiPolygon":
        return isinstance(coords, list) and bool(coords) and all(_valid_coordinates("Polygon", p) for p in coords)
    return False


def _valid_geojson(obj: dict[str, Any]) -> bool:
    kind = obj.get("type")
    if kind == "Feature":
        geometry = obj.get("geometry")
        return isinstance(geometry, dict) and _valid_geojson(geometry)
    if kind == "FeatureCollection":
        features = obj.get("features")
        return isinstance(features, list) and all(isinstance(f, dict) and _valid_geojson(f) for f in features)
    if kind == "GeometryCollection":
        geoms = obj.get("geometries")
        return isinstance(geoms, list) and all(isinstance(g, dict) and _valid_geojson(g) for g in geoms)
    return isinstance(kind, str) and _valid_coordinates(kind, obj.get("coordinates"))


def normalize_ags(value: str | None) -> tuple[str | None, str | None]:
    """An 8-digit AGS from 7 digits (lost leading zero) or 9+ digits (trailing zeros), quirk 11."""
    if value is None:
        return None, None
    digits = value.strip()
    if not digits.isdigit():
        return None, f"ags {value!r} is not numeric; dropped"
    if len(digits) == 7:
        return "0" + digits, f"ags {value!r} lost its leading zero"
    if len(digits) > 8 and set(digits[8:]) <= {"0"}:
        return digits[:8], f"ags {value!r} has trailing zeros"
    if len(digits) in (2, 3, 5, 8):
        return digits, None
    return digits, f"ags {value!r} has an unusual length"
