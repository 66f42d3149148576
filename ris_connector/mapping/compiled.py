"""A mapping compiled once per XML adapter: record elements mapped with dict look-ups.

:class:`RecordBuilder` interprets the mapping per element and per spec: every ``when``,
``unless``, field and relation walks its path again. :class:`XmlPlan` does the same work with
the decisions taken up front. Each record element's children are read once into a dict
(local name -> texts); a path that is one child name becomes a dict look-up, every other path
(``a/b``, ``@attr``, ``..``, ``/root``) goes through :class:`XmlLookup` as before. Converters are
chosen per field when the plan is built (``strptime`` formats precompiled, see
:mod:`dateformats`). The result is the same record or rejection, with the same reason, as
:meth:`RecordBuilder.build`; tests map the same exports both ways and compare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone, tzinfo
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from lxml import etree

from ris_connector.adapters.base import Notice, Rejected
from ris_connector.mapping.build import VALUE_ERRORS, Place, Problems, RecordBuilder, native_text
from ris_connector.mapping.convert import ConvertContext, convert, present, to_datetime, to_text
from ris_connector.mapping.dateformats import Parser, parser_for
from ris_connector.mapping.model import FieldSpec, RecordSpec, RelationSpec
from ris_connector.mapping.paths import XmlLookup, element_matches, element_text
from ris_connector.models import Meeting, Record
from ris_connector.normalize.ids import urn
from ris_connector.normalize.times import get_timezone, localize

#: Size of each memo (tag names, relation ids, inputs of repeated records); a full memo starts
#: again, so memory stays bounded whatever the export holds.
_MAX_MEMO = 4096
#: A compiled path: (True, child name) for a direct child, (False, path) for anything else.
Path = tuple[bool, str]
#: A converter of a field's present values: (values, export URL, position) -> value.
Converter = Callable[[list[Any], "str | None", int], Any]


def compile_path(path: str) -> Path:
    """``(True, name)`` when ``path`` names one direct child element, else ``(False, path)``."""
    if path.startswith("/") or ".." in path:
        return (False, path)
    segments = [s for s in path.split("/") if s and s != "."]
    if len(segments) == 1 and not segments[0].startswith("@"):
        return (True, segments[0])
    return (False, path)


class ElementValues:
    """The values of one record element: its children's texts by local name, read once."""

    __slots__ = ("_lookup", "element", "kids", "present")

    def __init__(self, element: etree._Element, names: dict[str, str], nulls: frozenset[str]) -> None:
        self.element = element
        self._lookup: XmlLookup | None = None
        kids: dict[str, list[str]] = {}
        present: set[str] = set()
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            name = names.get(tag)
            if name is None:
                if len(names) >= _MAX_MEMO:
                    names.clear()  # a hostile export may invent a new tag per element
                name = names[tag] = tag.rsplit("}", 1)[-1]
            if not name:
                continue
            if len(child):
                text = element_text(child)
            else:
                raw = child.text
                text = raw.strip() or None if raw is not None else None
            found = kids.get(name)
            if found is None:
                found = kids[name] = []
            if text is not None:
                found.append(text)
                if text not in nulls:
                    present.add(name)
        self.kids = kids
        self.present = present
        """Names of the children with a value that is not one of the mapping's null values."""

    @property
    def lookup(self) -> XmlLookup:
        """The general path reader for this element (created on first use)."""
        if self._lookup is None:
            self._lookup = XmlLookup(self.element)
        return self._lookup

    def get(self, path: Path) -> list[str]:
        """The non-empty text values at a compiled path."""
        simple, key = path
        if simple:
            return self.kids.get(key) or []
        return self.lookup(key)


def _has_value(view: ElementValues, paths: tuple[Path, ...], nulls: frozenset[str], every: bool) -> bool:
    """Whether every (``every``) or any of the paths has a value that is not in ``nulls``."""
    if every:
        return all(any(v not in nulls for v in view.get(p)) for p in paths)
    return any(any(v not in nulls for v in view.get(p)) for p in paths)


class _Field:
    """One field (or the id) of a record spec, ready to read."""

    __slots__ = ("ctx", "every", "name", "nulls", "param", "paths", "spec", "to_value")

    def __init__(self, name: str, spec: FieldSpec, ctx: ConvertContext) -> None:
        self.name = name
        self.spec = spec
        self.ctx = ctx
        self.paths = tuple(compile_path(p) for p in spec.path)
        self.nulls = frozenset(ctx.null_values if spec.null_values is None else spec.null_values)
        self.every = spec.convert in ("list", "join")
        self.param = spec.param
        self.to_value: Converter = _converter(spec, ctx)

    def values(self, view: ElementValues, place: Place) -> list[Any]:
        """The present values, as :meth:`RecordBuilder._read` collects them.

        A single-valued field (not ``list``/``join``) gets only its first value: the one its
        converter reads.
        """
        if self.spec.value is not None:
            return [self.spec.value]
        nulls = self.nulls
        values: list[Any] = []
        if self.every:
            for path in self.paths:
                values.extend(v for v in view.get(path) if v not in nulls)
        else:
            kids = view.kids
            for simple, key in self.paths:
                for v in kids.get(key, ()) if simple else view.lookup(key):
                    if v not in nulls:
                        return [v]
        if not values and self.param:
            values = present(place.param(self.param), self.spec, self.ctx)
        return values


class _Relation:
    """One relation of a record spec, ready to read."""

    __slots__ = ("ctx", "nulls", "paths", "plain_nulls", "spec", "type", "when")

    def __init__(self, spec: RelationSpec, ctx: ConvertContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.type = spec.type
        self.paths = tuple(compile_path(p) for p in spec.path)
        self.when = tuple(compile_path(p) for p in spec.when)
        self.nulls = frozenset(ctx.null_values if spec.null_values is None else spec.null_values)
        self.plain_nulls = frozenset(ctx.null_values)

    def values(self, view: ElementValues, place: Place) -> list[Any] | None:
        """The native ids the relation names (None: its ``when`` does not hold)."""
        spec = self.spec
        if self.when and not _has_value(view, self.when, self.plain_nulls, every=True):
            return None
        values: list[Any] = [spec.value] if spec.value is not None else []
        nulls = self.nulls
        for path in self.paths:
            values.extend(v for v in view.get(path) if v not in nulls)
            if values and not spec.many:
                break
        if not values and spec.param:
            values = present(place.param(spec.param), spec, self.ctx)
        if spec.separator:
            values = [p.strip() for v in values for p in str(v).split(spec.separator) if p.strip()]
        return values


class _Record:
    """One ``[[record]]`` spec, compiled."""

    __slots__ = (
        "element",
        "fields",
        "id",
        "positional",
        "relations",
        "spec",
        "unless",
        "unless_names",
        "when",
        "when_names",
    )

    def __init__(self, spec: RecordSpec, ctx: ConvertContext) -> None:
        self.spec = spec
        self.element = tuple(spec.element)
        self.when = tuple(compile_path(p) for p in spec.when)
        self.unless = tuple(compile_path(p) for p in spec.unless)
        self.when_names = _names(self.when)
        self.unless_names = _names(self.unless)
        self.id = _Field("id", spec.id, ctx)
        self.fields = tuple(_Field(name, f, ctx) for name, f in spec.fields.items())
        self.relations = tuple((name, _Relation(r, ctx)) for name, r in spec.relations.items())
        self.positional = any(f.spec.convert == "position" for f in (self.id, *self.fields))


def _names(paths: tuple[Path, ...]) -> frozenset[str] | None:
    """The child names when every path is one, else None (the paths are read one by one)."""
    if all(simple for simple, _ in paths):
        return frozenset(name for _, name in paths)
    return None


class XmlPlan:
    """The XML record specs of a builder's mapping, compiled: maps record elements to items."""

    def __init__(self, builder: RecordBuilder) -> None:
        self.builder = builder
        ctx = builder.context
        self._nulls = frozenset(ctx.null_values)
        self.records = tuple(_Record(spec, ctx) for spec in builder.mapping.xml_records())
        self._names: dict[str, str] = {}
        self._ok_repeated: set[tuple[Any, ...]] = set()
        self._targets: dict[tuple[str, str], str] = {}

    def _target(self, kind: str, native: Any) -> str:
        """The id a relation value names; text values memoized (committees recur in every meeting)."""
        if not isinstance(native, str):
            return urn(self.builder.source, kind, native_text(native))
        key = (kind, native)
        found = self._targets.get(key)
        if found is None:
            if len(self._targets) >= _MAX_MEMO:
                self._targets.clear()
            found = self._targets[key] = urn(self.builder.source, kind, native_text(native))
        return found

    def items(
        self, element: etree._Element, place: Place, positions: dict[str, int], seen: set[str]
    ) -> Iterator[Record | Rejected | Notice]:
        """What one record element yields: for each spec it matches, a record or a rejection,
        after a notice for each value that could not be read (and was dropped).

        ``positions`` counts the elements per type (for ``position``); ``seen`` holds the ids of
        ``repeated`` records already yielded.
        """
        nulls = self._nulls
        view = ElementValues(element, self._names, nulls)
        present = view.present
        at: dict[str, bool] = {}
        for rec in self.records:
            matched = False
            for path in rec.element:
                hit = at.get(path)
                if hit is None:
                    hit = at[path] = element_matches(element, path)
                if hit:
                    matched = True
                    break
            if not matched:
                continue
            names = rec.when_names
            if names is not None:
                if not names <= present:
                    continue
            elif not _has_value(view, rec.when, nulls, every=True):
                continue
            names = rec.unless_names
            if names is not None:
                if not names.isdisjoint(present):
                    continue
            elif _has_value(view, rec.unless, nulls, every=False):
                continue
            kind = rec.spec.type
            position = positions[kind] = positions.get(kind, 0) + 1
            notices: list[Notice] = []
            if rec.spec.repeated:
                item = self._repeated(rec, element, view, place, position, seen, notices)
            else:
                item = self.build(rec, element, view, place, position, notices)
            if item is not None:
                yield from notices
                yield item

    def _repeated(
        self,
        rec: _Record,
        element: etree._Element,
        view: ElementValues,
        place: Place,
        position: int,
        seen: set[str],
        notices: list[Notice],
    ) -> Record | Rejected | None:
        """A ``repeated`` record the first time; None again once the same values gave a record."""
        key = self._input_key(rec, view, place)
        if key is not None and key in self._ok_repeated:
            return None
        item = self.build(rec, element, view, place, position, notices)
        if isinstance(item, Record):
            if key is not None:
                if len(self._ok_repeated) >= _MAX_MEMO:
                    self._ok_repeated.clear()
                self._ok_repeated.add(key)
            if item.id in seen:
                return None
            seen.add(item.id)
        return item

    def _input_key(self, rec: _Record, view: ElementValues, place: Place) -> tuple[Any, ...] | None:
        """Everything a build reads: equal keys give equal records (the position aside)."""
        if self.builder.keep_raw or rec.spec.type == Meeting.TYPE or rec.positional:
            return None  # the raw element, the clock-derived status, the position are more than the key
        try:
            parts: list[Any] = [place.url, tuple(rec.id.values(view, place))]
            parts.extend(tuple(f.values(view, place)) for f in rec.fields)
            for _, relation in rec.relations:
                found = relation.values(view, place)
                parts.append(None if found is None else tuple(found))
            key = tuple(parts)
            hash(key)
        except (ValueError, TypeError, KeyError, IndexError):
            return None  # unhashable or unreadable: build it, the build reports what is wrong
        return key

    def build(
        self,
        rec: _Record,
        element: etree._Element,
        view: ElementValues,
        place: Place,
        position: int,
        notices: list[Notice] | None = None,
    ) -> Record | Rejected:
        """:meth:`RecordBuilder.build` for a compiled spec (dropped values noted in ``notices``)."""
        builder = self.builder
        spec = rec.spec
        url = place.url
        try:
            native = rec.id.to_value(rec.id.values(view, place), url, position)
        except VALUE_ERRORS as exc:
            return builder.reject(spec, element, f"id: {exc}", None)
        if native is None or str(native).strip() == "":
            where = ", ".join(spec.id.path) or spec.id.param or "(id)"
            return builder.reject(spec, element, f"no native id at {where}", None)
        native = str(native).strip()
        source = builder.source
        data: dict[str, Any] = {"id": urn(source, spec.type, native), "type": spec.type}
        problems = Problems(spec, native, notices)
        for field in rec.fields:
            try:
                value = field.to_value(field.values(view, place), url, position)
            except VALUE_ERRORS as exc:
                problems.value(field.name, field.spec.required, exc)
                continue
            if value is None or value == []:
                problems.empty(field.name, field.spec.required)
                continue
            data[field.name] = value
        for name, relation in rec.relations:
            try:
                found = relation.values(view, place)
                ids = [self._target(relation.type, v) for v in found or ()]
            except VALUE_ERRORS as exc:
                problems.value(name, relation.spec.required, exc)
                continue
            value = list(dict.fromkeys(ids)) if relation.spec.many else (ids[0] if ids else None)
            if value:
                data[name] = value
            else:
                problems.empty(name, relation.spec.required)
        if problems.fatal:
            return builder.reject(spec, element, "; ".join(problems.fatal), native)
        return builder.finish(spec, element, data, native, url, problems.notices)


# -- converters ---------------------------------------------------------------------------------
def _converter(spec: FieldSpec, ctx: ConvertContext) -> Converter:
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


def _datetime_converter(spec: FieldSpec, ctx: ConvertContext) -> Converter | None:
    """:func:`to_datetime` with ``format``: the formats precompiled (None: keep the general one)."""
    try:
        tz: tzinfo = get_timezone(spec.timezone) if spec.timezone else ctx.tz
    except ValueError:
        return None  # the general converter reports the unknown timezone per record
    z_is_utc = ctx.z_is_utc if spec.z_is_utc is None else spec.z_is_utc
    plain: list[Parser] = [parser_for(f) for f in spec.format]
    zulu_parsers: list[Parser] = [
        parser_for(f[:-1]) if f.endswith("Z") else p for f, p in zip(spec.format, plain, strict=True)
    ]
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
        for parse in zulu_parsers if zulu else plain:
            try:
                parsed: datetime = parse(bare)
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                return parsed
            if zulu and z_is_utc:
                return parsed.replace(tzinfo=timezone.utc)
            if zone is not None:
                aware = parsed.replace(tzinfo=zone, fold=0)
                if aware.utcoffset() == parsed.replace(tzinfo=zone, fold=1).utcoffset():
                    return aware  # neither in a DST gap nor in an overlap: what localize returns
            return localize(parsed, tz)
        raise ValueError(f"not a date-time in format {message}: {value!r}")

    return to_dt
