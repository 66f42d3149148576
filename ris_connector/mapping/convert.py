"""Converters named in mapping files: text, numbers, booleans, dates, lists, URLs.

:func:`convert` is the general converter; :func:`compile_converter` chooses one per field when
a mapping plan is built (``strptime`` formats precompiled, see :mod:`dateformats`), with the
same results and errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from ris_connector.mapping.dateformats import FieldsParser, Parser, compile_fields, parser_for
from ris_connector.mapping.model import FieldSpec
from ris_connector.normalize.text import clean_text
from ris_connector.normalize.times import get_timezone, localize, parse_date, parse_datetime


@dataclass(frozen=True)
class ConvertContext:
    """What converters need beyond the value: defaults of the mapping and the record's place."""

    tz: tzinfo
    z_is_utc: bool = True
    null_values: tuple[str, ...] = ()
    base_url: str | None = None
    position: int = 0


def present(values: list[Any], spec: FieldSpec, ctx: ConvertContext) -> list[Any]:
    """Values without empties and without the configured null values."""
    nulls = ctx.null_values if spec.null_values is None else tuple(spec.null_values)
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value or value in nulls:
                continue
        out.append(value)
    return out


def convert(values: list[Any], spec: FieldSpec, ctx: ConvertContext) -> Any:
    """Convert the (already filtered) values of one field; ValueError if a value does not fit."""
    kind = spec.convert
    if kind == "position":
        return ctx.position
    if kind == "list":
        items: list[str] = []
        for value in values:
            parts = str(value).split(spec.separator) if spec.separator else [str(value)]
            items.extend(p.strip() for p in parts if p.strip())
        return items
    if kind == "join":
        return (spec.separator if spec.separator is not None else ".").join(str(v) for v in values) or None
    if not values:
        return None
    value = values[0]
    if kind == "raw":
        return value
    if kind == "text":
        text = to_text(value)
        return spec.template.format(text) if spec.template else text
    if kind == "url":
        text = spec.template.format(value) if spec.template else str(value)
        return urljoin(ctx.base_url, text) if ctx.base_url else text
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError(f"not an integer: {value!r}")
        return int(value) if isinstance(value, int) else int(str(value).strip())
    if kind == "float":
        return float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    if kind == "bool":
        return to_bool(value, spec)
    if kind == "date":
        return to_date(value, spec)
    return to_datetime(value, spec, ctx)


class PlaceholderValue(ValueError):
    """Text that stands for "no value" (``N/A``, ``-``, ``keine Angabe``): the field stays empty."""


def to_text(value: Any) -> str:
    """Cleaned text; :class:`PlaceholderValue` for a placeholder (counted, not silently empty)."""
    if not isinstance(value, str):
        return str(value)
    text = clean_text(value)
    if text is None:
        raise PlaceholderValue(f"placeholder {value.strip()[:40]!r}")
    return text


def to_bool(value: Any, spec: FieldSpec) -> bool:
    """A boolean from a bool, a number or a word of ``true_values``/``false_values``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in (v.lower() for v in spec.true_values):
        return True
    if text in (v.lower() for v in spec.false_values):
        return False
    raise ValueError(f"not a boolean: {value!r} (true: {spec.true_values}, false: {spec.false_values})")


def to_date(value: Any, spec: FieldSpec) -> date | None:
    """A date with the mapping's formats, else the tolerant parser."""
    if isinstance(value, (date, datetime)):
        return value.date() if isinstance(value, datetime) else value
    text = str(value).strip()
    for fmt in spec.format:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if spec.format:
        raise ValueError(f"not a date in format {' or '.join(spec.format)}: {value!r}")
    return parse_date(text)


def to_datetime(value: Any, spec: FieldSpec, ctx: ConvertContext) -> datetime | None:
    """An aware datetime; a trailing ``Z`` is UTC only when ``z_is_utc`` says so."""
    tz = get_timezone(spec.timezone) if spec.timezone else ctx.tz
    z_is_utc = ctx.z_is_utc if spec.z_is_utc is None else spec.z_is_utc
    if isinstance(value, datetime):
        return value if value.tzinfo else localize(value, tz)
    if isinstance(value, date):
        return parse_datetime(value, tz)
    text = str(value).strip()
    zulu = text.endswith(("Z", "z"))
    if spec.format:
        bare = text[:-1] if zulu else text
        for fmt in spec.format:
            try:
                parsed = datetime.strptime(bare, fmt[:-1] if fmt.endswith("Z") and zulu else fmt)
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                return parsed
            if zulu and z_is_utc:
                return parsed.replace(tzinfo=timezone.utc)
            return localize(parsed, tz)
        raise ValueError(f"not a date-time in format {' or '.join(spec.format)}: {value!r}")
    if zulu and not z_is_utc:
        text = text[:-1]
    return parse_datetime(text, tz)


# -- converters chosen once per field (the mapping plan) -------------------------------------------
#: A converter of a field's present values: (values, export URL, position) -> value.
Converter = Callable[[list[Any], "str | None", int], Any]


def compile_converter(spec: FieldSpec, ctx: ConvertContext) -> Converter:
    """The converter of one field, chosen once; the same results and errors as :func:`convert`."""
    kind = spec.convert
    if kind == "position":
        return lambda _values, _url, position: position
    if kind == "text":
        return _text_converter(spec.template)
    if kind == "url":
        template = spec.template

        def to_url(values: list[Any], url: str | None, _position: int) -> Any:
            if not values:
                return None
            text = template.format(values[0]) if template else str(values[0])
            return urljoin(url, text) if url else text

        return to_url
    if kind == "datetime" and spec.format:
        fast = _datetime_converter(spec, ctx)
        if fast is not None:
            return fast
    return lambda values, _url, _position: convert(values, spec, ctx)


def _text_converter(template: str | None) -> Converter:
    def text_of(values: list[Any], _url: str | None, _position: int) -> Any:
        if not values:
            return None
        text = to_text(values[0])
        return template.format(text) if template else text

    return text_of


def _date_reader(fmt: str) -> tuple[FieldsParser | None, Parser]:
    """The numbers parser of ``fmt`` where there is one (see :func:`compile_fields`), and its parser."""
    return compile_fields(fmt), parser_for(fmt)


def _datetime_converter(spec: FieldSpec, ctx: ConvertContext) -> Converter | None:
    """:func:`to_datetime` with ``format``: the formats precompiled (None: keep the general one)."""
    try:
        tz: tzinfo = get_timezone(spec.timezone) if spec.timezone else ctx.tz
    except ValueError:
        return None  # the general converter reports the unknown timezone per record
    z_is_utc = ctx.z_is_utc if spec.z_is_utc is None else spec.z_is_utc
    plain = [_date_reader(f) for f in spec.format]
    zulu_readers = [_date_reader(f[:-1]) if f.endswith("Z") else r for f, r in zip(spec.format, plain, strict=True)]
    message = " or ".join(spec.format)
    #: zoneinfo honours ``fold`` (PEP 495): equal offsets for both folds mean an unambiguous time.
    zone = tz if isinstance(tz, ZoneInfo) else None

    def to_dt(values: list[Any], _url: str | None, _position: int) -> Any:
        if not values:
            return None
        value = values[0]
        if not isinstance(value, str):
            return to_datetime(value, spec, ctx)
        text = value.strip()
        zulu = text.endswith(("Z", "z"))
        bare = text[:-1] if zulu else text
        utc = zulu and z_is_utc
        for fields, parse in zulu_readers if zulu else plain:
            if fields is not None:
                # the numbers straight into the datetime to return: no naive copy to replace
                try:
                    y, mo, d, h, mi, sec = fields(bare)
                    if utc:
                        return datetime(y, mo, d, h, mi, sec, 0, timezone.utc)
                    parsed = datetime(y, mo, d, h, mi, sec, 0, zone)
                except ValueError:
                    continue
                if zone is not None:
                    if parsed.utcoffset() == datetime(y, mo, d, h, mi, sec, 0, zone, fold=1).utcoffset():
                        return parsed  # neither in a DST gap nor in an overlap: what localize returns
                    parsed = parsed.replace(tzinfo=None)
                return localize(parsed, tz)
            try:
                parsed = parse(bare)
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                return parsed
            if utc:
                return parsed.replace(tzinfo=timezone.utc)
            if zone is not None:
                aware = parsed.replace(tzinfo=zone, fold=0)
                if aware.utcoffset() == parsed.replace(tzinfo=zone, fold=1).utcoffset():
                    return aware  # neither in a DST gap nor in an overlap: what localize returns
            return localize(parsed, tz)
        raise ValueError(f"not a date-time in format {message}: {value!r}")

    return to_dt
