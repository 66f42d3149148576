"""The OParl mapper's fast path: a plain object read straight into its record's fields.

Most objects a server sends need none of the mapper's repairs: their text is clean, their
references are canonical URLs, their date-times are spelled as OParl prescribes, and they embed
nothing. For the types that are most of a council's objects (AgendaItem, Consultation, File,
Membership), :func:`plain_fields` reads such an object by a flat :class:`Plan` of
(OParl key, field, kind) and returns the record's fields, or None as soon as one value would
need a repair, a notice or an embedded object. The mapper then maps that object the full way
(``mapper.py``), which stays the reference: this path must give exactly what it gives, and
``tests/adapters/oparl/test_plain.py`` compares both on the fixtures, every quirk mode and
mutated objects.

Each kind accepts only values that the full path's reader returns unchanged (or changes without
a notice, like a canonicalized reference or a lower-cased MIME type), so no check here may be
looser than the reader it stands for. Reading a value has no side effect beyond the run's caches
of date-times and dates, which the full path fills the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ris_connector.adapters.oparl.fields import prescribed_date, prescribed_datetime
from ris_connector.normalize.ids import REPAIRED_URL, is_url
from ris_connector.normalize.text import LONGEST_PLACEHOLDER, PLACEHOLDERS

# The kinds of value a plan reads (plain ints: compared in the hot loop).
TEXT = 0  # clean text (ObjectReader.text, .url)
DATETIME = 1  # a date-time in the prescribed spelling (.datetime)
REF = 2  # an http(s) URL, canonicalized (.ref)
REFS = 3  # a list of those, duplicates dropped (.refs)
TEXTS = 4  # a list of clean texts (.texts)
INT = 5  # an integer within 64 bits (.integer)
BOOL = 6  # true or false (.boolean)
DATE = 7  # a date spelled YYYY-MM-DD (.date)
MIME = 8  # a MIME type with a slash, lower-cased (.mime_type)
FILE_URL = 9  # clean text that needs no URL repair (mapper._file_url)
LICENSE = 10  # clean text that is a URL (else the full path notes quirk 38)
NO_OBJECT = 11  # an embedded object left out: "" or {} (.embed)
NO_OBJECTS = 12  # no embedded objects: [] (.embed_list)
SIZE = 13  # an integer other than 0 (File.size: 0 is noted as unknown)

#: Integers beyond 64 bits are no size or order (as ``fields._HUGE_INT``).
_HUGE_INT = 2**63
_HTTP = ("http://", "https://")

#: The fields every record has, read by ``OParlMapper._common``.
COMMON: tuple[tuple[str, str, int], ...] = (
    ("name", "name", TEXT),
    ("created", "created", DATETIME),
    ("modified", "modified", DATETIME),
    ("keyword", "keyword", TEXTS),
    ("web", "web", TEXT),
    ("license", "license", LICENSE),
)


@dataclass(frozen=True, slots=True)
class Plan:
    """How one type's plain objects are read: the same keys as its builder in ``mapper.py``."""

    fields: tuple[tuple[str, str, int], ...]
    """(OParl key, field, kind) of every key the type's builder and ``_common`` read."""
    from_parent: tuple[str, str] | None = None
    """(field, parent type): the field is the parent's id when the object has none."""
    ordered_times: bool = False
    """``end`` before ``start`` is left out (AgendaItem, without a notice)."""
    by_key: dict[str, tuple[str, int]] = field(init=False, repr=False, compare=False)
    """OParl key -> (field, kind), built from ``fields``."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {key: (name, kind) for key, name, kind in self.fields})


#: The types read this way, each by the keys its builder in ``mapper.py`` reads.
PLANS: dict[str, Plan] = {
    "AgendaItem": Plan(
        (
            ("meeting", "meeting", REF),
            ("number", "number", TEXT),
            ("order", "order", INT),
            ("public", "public", BOOL),
            ("consultation", "consultation", REF),
            ("result", "result", TEXT),
            ("resolutionText", "resolution_text", TEXT),
            ("resolutionFile", "resolution_file", NO_OBJECT),
            ("auxiliaryFile", "auxiliary_file", NO_OBJECTS),
            ("start", "start", DATETIME),
            ("end", "end", DATETIME),
            *COMMON,
        ),
        from_parent=("meeting", "Meeting"),
        ordered_times=True,
    ),
    "Consultation": Plan(
        (
            ("paper", "paper", REF),
            ("agendaItem", "agenda_item", REF),
            ("meeting", "meeting", REF),
            ("organization", "organization", REFS),
            ("authoritative", "authoritative", BOOL),
            ("role", "role", TEXT),
            *COMMON,
        ),
        from_parent=("paper", "Paper"),
    ),
    "File": Plan(
        (
            ("fileName", "file_name", TEXT),
            ("mimeType", "mime_type", MIME),
            ("date", "date", DATE),
            ("size", "size", SIZE),
            ("sha1Checksum", "sha1_checksum", TEXT),
            ("sha512Checksum", "sha512_checksum", TEXT),
            ("text", "text", TEXT),
            ("accessUrl", "access_url", FILE_URL),
            ("downloadUrl", "download_url", FILE_URL),
            ("externalServiceUrl", "external_service_url", TEXT),
            ("masterFile", "master_file", REF),
            ("derivativeFile", "derivative_file", REFS),
            ("fileLicense", "file_license", TEXT),
            *COMMON,
        )
    ),
    "Membership": Plan(
        (
            ("person", "person", REF),
            ("organization", "organization", REF),
            ("role", "role", TEXT),
            ("votingRight", "voting_right", BOOL),
            ("startDate", "start_date", DATE),
            ("endDate", "end_date", DATE),
            ("onBehalfOf", "on_behalf_of", REF),
            *COMMON,
        ),
        from_parent=("person", "Person"),
    ),
}


def _clean(value: str) -> bool:
    """Whether ``ObjectReader.text`` returns ``value`` itself without a notice: printable (so
    the only whitespace is the space), no space at either end, and no placeholder."""
    return (
        value.isprintable()
        and value[:1] != " "
        and value[-1:] != " "
        and (len(value) > LONGEST_PLACEHOLDER or value.lower() not in PLACEHOLDERS)
    )


def _refs(value: Any, canonical: Callable[[str], str]) -> list[str] | None:
    """A list of http(s) URLs canonicalized, duplicates dropped; None if any is not one."""
    if type(value) is not list:
        return None
    out: list[str] = []
    for v in value:
        if type(v) is not str or not v.startswith(_HTTP):
            return None
        try:
            ref = canonical(v)
        except ValueError:
            return None
        if ref not in out:
            out.append(ref)
    return out


def plain_fields(
    obj: dict[str, Any],
    plan: Plan,
    canonical: Callable[[str], str],
    times: dict[str, datetime],
    dates: dict[str, date],
) -> dict[str, Any] | None:
    """The record fields of a plain ``obj`` (absent values left out), or None if one of its
    values needs the full path. ``canonical``, ``times`` and ``dates`` are the mapper's.

    Walks the object's keys (keys the type does not read are ignored, as the full path ignores
    them); the kinds are tested in the order of how often they occur.
    """
    f: dict[str, Any] = {}
    by_key = plan.by_key
    for key, v in obj.items():
        entry = by_key.get(key)
        if entry is None or v is None:
            continue
        name, kind = entry
        if kind == TEXT:
            if (
                type(v) is not str
                or not v.isprintable()
                or v[:1] == " "
                or v[-1:] == " "
                or (len(v) <= LONGEST_PLACEHOLDER and v.lower() in PLACEHOLDERS)
            ):
                return None
            f[name] = v
        elif kind == DATETIME:
            parsed = times.get(v) if type(v) is str else None
            if parsed is None and (type(v) is not str or (parsed := prescribed_datetime(v, times)) is None):
                return None
            f[name] = parsed
        elif kind == REF:
            if type(v) is not str or not v.startswith(_HTTP):
                return None
            try:
                f[name] = canonical(v)
            except ValueError:
                return None
        elif kind == BOOL:
            if type(v) is not bool:
                return None
            f[name] = v
        elif kind in (INT, SIZE):
            if type(v) is not int or not -_HUGE_INT < v < _HUGE_INT or (kind == SIZE and v == 0):
                return None
            f[name] = v
        elif kind == FILE_URL:
            # the fast check of repair_url: a URL it would return unchanged (else the full path)
            if type(v) is not str or not _clean(v) or REPAIRED_URL.match(v) is None:
                return None
            f[name] = v
        elif kind == LICENSE:
            if type(v) is not str or not _clean(v) or not is_url(v):
                return None
            f[name] = v
        elif kind == DATE:
            day = prescribed_date(v, dates) if type(v) is str else None
            if day is None:
                return None
            f[name] = day
        elif kind == MIME:
            if type(v) is not str or "/" not in v or not _clean(v):
                return None
            f[name] = v.lower()
        elif kind == REFS:
            refs = _refs(v, canonical)
            if refs is None:
                return None
            f[name] = refs
        elif kind == TEXTS:
            if type(v) is not list or not all(type(t) is str and _clean(t) for t in v):
                return None
            f[name] = list(v)
        elif kind == NO_OBJECT:
            if v != "" and v != {}:
                return None
        elif kind == NO_OBJECTS:
            if v != []:
                return None
        else:  # pragma: no cover - the plans above use only the kinds above
            raise AssertionError(f"unknown kind {kind}")
    return f
