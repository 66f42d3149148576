"""Tolerant readers for single OParl values; each problem becomes a counted notice."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from datetime import datetime as _datetime
from functools import partial
from typing import Any, TypeVar

from ris_connector.adapters.base import Notice
from ris_connector.normalize.ids import canonical_url, is_url
from ris_connector.normalize.text import LONGEST_PLACEHOLDER, clean_text
from ris_connector.normalize.times import parse_date, parse_datetime

T = TypeVar("T")
#: Date-time strings a normalizer remembers (many records share created/modified stamps).
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


class FieldReader:
    """Reads values of one record; collects notices instead of failing on a bad field."""

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
        """Canonical id of a URL: the normalizer's cached one, else :func:`canonical_url`."""
        self.notices = notices
        self.where = where

    def note(self, code: str, message: str) -> None:
        """Record a tolerated deviation."""
        self.notices.append(Notice(code, f"{self.where}: {message}"))

    def text(self, value: Any, field: str = "") -> str | None:
        """A cleaned string; placeholders (``"N/A"``, ``" "``, ``""``) become None (quirk 18)."""
        if value is None:
            return None
        if type(value) is str and len(value) > LONGEST_PLACEHOLDER and value.isprintable():
            stripped = value.strip()  # the common case: no placeholder, nothing to remove
            if len(stripped) > LONGEST_PLACEHOLDER:
                return stripped
        if isinstance(value, (dict, list)):
            if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], (dict, list)):
                return self.text(value[0], field)
            self.note("unexpected-structure", f"{field}: expected text, got {type(value).__name__}")
            return None
        cleaned = clean_text(value)
        if cleaned is None and isinstance(value, str) and value:
            self.note("oparl-q18-placeholder", f"{field}: placeholder {value!r} dropped")
        return cleaned

    def texts(self, value: Any, field: str = "") -> list[str]:
        """A list of strings; a single value becomes a one-element list (quirk 37)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.note("oparl-q37-single-value", f"{field}: single value where a list is expected")
            value = [value]
        out = [t for t in (self.text(v, field) for v in value) if t]
        return out

    def url(self, value: Any, field: str = "") -> str | None:
        """A URL as given (repaired of spaces and ``//``), or None."""
        text = self.text(value, field)
        if text is None:
            return None
        return text

    def ref(self, value: Any, field: str = "") -> str | None:
        """The canonical id of a referenced object given as URL; numbers are dropped (quirk 37)."""
        if value is None:
            return None
        if type(value) is str and value.startswith(("http://", "https://")):
            return self.canonical(value)  # the common case; is_url below says the same
        if isinstance(value, dict):
            raw_id = value.get("id")
            return self.ref(raw_id, field) if raw_id is not None else None
        if isinstance(value, list):
            if len(value) == 1:
                self.note("oparl-q7-array", f"{field}: one-element array where a reference is expected")
                return self.ref(value[0], field)
            if not value:
                return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.note("oparl-q37-number-reference", f"{field}: number {value!r} where a URL is expected; dropped")
            return None
        if not is_url(value):
            if value not in ("", None) and clean_text(value) is not None:
                self.note("invalid-reference", f"{field}: {str(value)[:80]!r} is not a URL; dropped")
            return None
        return self.canonical(str(value))

    def refs(self, value: Any, field: str = "") -> list[str]:
        """References as a list; a single reference becomes a list (quirk 19/37)."""
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        out: list[str] = []
        for v in value:
            r = self.ref(v, field)
            if r and r not in out:
                out.append(r)
        return out

    def datetime(self, value: Any, field: str = "") -> datetime | None:
        """A timezone-aware date-time (naive values in the source's zone, quirks 17/37)."""
        if type(value) is str:
            known = self.times.get(value)
            if known is not None:
                return known
            if _ISO_WITH_OFFSET.match(value):
                try:  # the spelling OParl prescribes: nothing to note, nothing to repair
                    parsed = _datetime.fromisoformat(value)
                except ValueError:
                    pass
                else:
                    if len(self.times) >= _TIMES_CACHE:
                        self.times.clear()
                    self.times[value] = parsed
                    return parsed
        if isinstance(value, str):
            text = value.strip()
            if _DATE_ONLY.match(text):
                self.note("oparl-q37-date-for-datetime", f"{field}: date {text!r} where a date-time is expected")
            elif _ISO_TIME.match(text) and not _OFFSET.search(text):
                self.note("oparl-q37-naive-datetime", f"{field}: {text!r} has no UTC offset; read in {self.tz}")
        return self._parse(value, field, lambda v: parse_datetime(v, self.tz), "date-time")

    def date(self, value: Any, field: str = "") -> date | None:
        """A date; date-times in date fields are truncated to their date (quirk 17)."""
        if isinstance(value, str) and len(value.strip()) > 10:
            self.note("oparl-q17-datetime-in-date", f"{field}: date-time {value!r} where a date is expected")
        return self._parse(value, field, parse_date, "date")

    def _parse(self, value: Any, field: str, parse: Callable[[Any], T | None], what: str) -> T | None:
        if value is None or isinstance(value, (dict, list)):
            return None
        if isinstance(value, str) and "::" in value:
            self.note("oparl-q17-double-colon", f"{field}: offset written with '::' ({value!r})")
        try:
            return parse(value)
        except (ValueError, OverflowError):
            self.note("invalid-value", f"{field}: {str(value)[:60]!r} is not a {what}; dropped")
            return None

    def boolean(self, value: Any, field: str = "") -> bool | None:
        """A boolean from true/false, 1/0, "true"/"ja"/"nein"."""
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "1", "ja", "yes", "wahr"}:
            return True
        if text in {"false", "0", "nein", "no", "falsch"}:
            return False
        if text not in {"", "n/a"}:
            self.note("invalid-value", f"{field}: {value!r} is not a boolean; dropped")
        return None

    def integer(self, value: Any, field: str = "") -> int | None:
        """An integer from a number or numeric text."""
        if value is None or isinstance(value, bool):
            return None
        try:
            return int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError:
            if clean_text(value) is not None:
                self.note("invalid-value", f"{field}: {value!r} is not an integer; dropped")
            return None

    def mime_type(self, value: Any) -> str | None:
        """A MIME type; bare extensions such as ``"pdf"`` are mapped (quirk 18)."""
        text = self.text(value, "mimeType")
        if text is None:
            return None
        if "/" not in text:
            mapped = MIME_BY_EXTENSION.get(text.lower().lstrip("."))
            self.note("oparl-q18-mimetype", f"mimeType {text!r} is a file extension")
            return mapped
        return text.lower()

    def geojson(self, value: Any) -> dict[str, Any] | None:
        """GeoJSON if it is well-formed enough to draw; otherwise dropped (quirk 27)."""
        if value is None:
            return None
        if not isinstance(value, dict) or not _valid_geojson(value):
            self.note("oparl-q27-geojson", f"invalid GeoJSON dropped: {json.dumps(value, default=str)[:80]}")
            return None
        return value


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
