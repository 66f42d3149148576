"""The one interpreter of a mapping: compiled once per adapter, used by the XML and SOAP adapters.

:class:`MappingPlan` takes the decisions of a mapping up front: paths compiled (one child name
becomes a dict look-up), converters chosen per field (:func:`compile_converter`), conditions
reduced to sets of names where they can be. It maps XML record elements (:meth:`MappingPlan.items`)
and SOAP result objects (:meth:`MappingPlan.object_item`) alike; only how the values are read
differs (:mod:`ris_connector.mapping.readers`).

What one source object gives: a record, or a :class:`~ris_connector.items.Rejected` with
the reason; and a :class:`~ris_connector.items.Notice` for every value that could not be
read and was dropped. A value that cannot be converted costs the value, not the record; only
the native id and ``required`` fields and relations quarantine the record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from lxml import etree
from pydantic import ValidationError

from ris_connector.clock import Clock
from ris_connector.items import Notice, Rejected
from ris_connector.mapping.convert import (
    ConvertContext,
    Converter,
    PlaceholderValue,
    compile_converter,
    present,
    to_text,
)
from ris_connector.mapping.model import FieldSpec, Mapping, RecordSpec, RelationSpec
from ris_connector.mapping.paths import ElementPath, element_to_dict
from ris_connector.mapping.readers import MAX_MEMO, ElementValues, ObjectValues, Path, Place, View, compile_path
from ris_connector.models import RECORD_TYPES, Meeting, Record
from ris_connector.normalize.ids import urn
from ris_connector.normalize.records import validate_record, validation_reason
from ris_connector.normalize.status import meeting_status
from ris_connector.normalize.times import get_timezone
from ris_connector.notices.values import INVALID_VALUE, PLACEHOLDER

#: What converting one value may raise (the converters' ValueError, and what odd values cause).
VALUE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)
#: Source object: an lxml element or a dict/list tree.
Node = Any
#: A field's value read from a record element: (view, place, position) -> converted value.
XmlRead = Callable[[ElementValues, Place, int], Any]


class SourceFacts(Protocol):
    """What a plan reads of a source's settings (an adapter's ``ctx.source``)."""

    @property
    def name(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def keep_raw(self) -> bool: ...


class SourceContext(Protocol):
    """What a plan reads of an adapter's context (:class:`~ris_connector.adapters.base.AdapterContext`)."""

    @property
    def source(self) -> SourceFacts: ...
    @property
    def clock(self) -> Clock: ...


class Problems:
    """What went wrong while one record was mapped: fatal problems, or notices of dropped values."""

    def __init__(self, spec: RecordSpec, native: str, notices: list[Notice] | None) -> None:
        self.spec = spec
        self.native = native
        self.fatal: list[str] = []
        self.notices: list[Notice] = notices if notices is not None else []

    def value(self, name: str, required: bool, exc: BaseException) -> None:
        """A value of field ``name`` could not be converted: fatal if required, else dropped."""
        if required:
            self.fatal.append(f"{name}: {exc}")
        else:
            code = PLACEHOLDER if isinstance(exc, PlaceholderValue) else INVALID_VALUE
            self.notices.append(Notice(code, f"{self.spec.type} {self.native}: {name}: {exc}; dropped"))

    def empty(self, name: str, required: bool) -> None:
        """Field ``name`` has no value: fatal if required."""
        if required:
            self.fatal.append(f"{name}: required but empty")


class _Field:
    """One field (or the id) of a record spec, ready to read."""

    __slots__ = ("ctx", "every", "name", "nulls", "param", "paths", "read_xml", "spec", "to_value")

    def __init__(self, name: str, spec: FieldSpec, ctx: ConvertContext) -> None:
        self.name = name
        self.spec = spec
        self.ctx = ctx
        self.paths = tuple(compile_path(p) for p in spec.path)
        self.nulls = frozenset(ctx.null_values if spec.null_values is None else spec.null_values)
        self.every = spec.convert in ("list", "join")
        self.param = spec.param
        self.to_value: Converter = compile_converter(spec, ctx)
        self.read_xml: XmlRead = self._xml_reader()
        """The field's value from a record element: what ``read`` gives, in fewer steps."""

    def read(self, view: View, place: Place, position: int) -> Any:
        """The field's converted value (None when it has none); the converter's errors pass."""
        return self.to_value(self.values(view, place), place.url, position)

    def _xml_reader(self) -> XmlRead:
        """:meth:`read` for record elements, compiled: a field whose paths each name one child
        reads the element's texts by name directly, and a text field converts without the
        converter's list; other fields (``value``, ``list``/``join``, longer paths) use :meth:`read`.
        """
        spec, ctx = self.spec, self.ctx
        if spec.value is not None or self.every or not all(simple for simple, _ in self.paths):
            return self.read
        keys = tuple(name for _, name in self.paths)
        nulls, param, to_value = self.nulls, self.param, self.to_value

        def first(kids: dict[str, list[str]]) -> str | None:
            for key in keys:
                for value in kids.get(key, ()):
                    if value not in nulls:
                        return value
            return None

        def fallback(place: Place, position: int) -> Any:
            values = present(place.param(param), spec, ctx) if param else []
            return to_value(values, place.url, position)

        if spec.convert == "text":
            template = spec.template

            def read_text(view: ElementValues, place: Place, position: int) -> Any:
                value = first(view.kids)
                if value is None:
                    return fallback(place, position)
                text = to_text(value)
                return template.format(text) if template else text

            return read_text

        def read_first(view: ElementValues, place: Place, position: int) -> Any:
            value = first(view.kids)
            if value is None:
                return fallback(place, position)
            return to_value([value], place.url, position)

        return read_first

    def values(self, view: View, place: Place) -> list[Any]:
        """The present values: every path's for ``list``/``join``, else those of the first path
        that has any (the converter reads the first); the call argument or URL parameter last."""
        if self.spec.value is not None:
            return [self.spec.value]
        values: list[Any] = []
        if self.every:
            for path in self.paths:
                values.extend(view.values(path, self.nulls))
        else:
            values = view.first(self.paths, self.nulls)
        if not values and self.param:
            values = present(place.param(self.param), self.spec, self.ctx)
        return values


class _Relation:
    """One relation of a record spec, ready to read."""

    __slots__ = ("ctx", "keys", "nulls", "paths", "plain_nulls", "spec", "type", "when")

    def __init__(self, spec: RelationSpec, ctx: ConvertContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.type = spec.type
        self.paths = tuple(compile_path(p) for p in spec.path)
        self.when = tuple(compile_path(p) for p in spec.when)
        self.nulls = frozenset(ctx.null_values if spec.null_values is None else spec.null_values)
        self.plain_nulls = frozenset(ctx.null_values)
        self.keys = tuple(name for _, name in self.paths) if all(simple for simple, _ in self.paths) else None
        """The child names of the paths when each names one child (read from ``kids`` directly)."""

    def values(self, view: View, place: Place) -> list[Any] | None:
        """The native ids the relation names (None: its ``when`` does not hold)."""
        spec = self.spec
        if self.when and not view.has(self.when, self.plain_nulls, every=True):
            return None
        values: list[Any] = [spec.value] if spec.value is not None else []
        keys, nulls = self.keys, self.nulls
        if keys is not None and isinstance(view, ElementValues):
            kids = view.kids
            for key in keys:
                values.extend(v for v in kids.get(key, ()) if v not in nulls)
                if values and not spec.many:
                    break
        else:
            for path in self.paths:
                values.extend(view.values(path, nulls))
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
        "element_at",
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
        self.element_at: tuple[int, ...] = ()
        """Indexes of :attr:`element` in the plan's element paths (set by the plan)."""
        self.when = tuple(compile_path(p) for p in spec.when)
        self.unless = tuple(compile_path(p) for p in spec.unless)
        self.when_names = _names(self.when)
        self.unless_names = _names(self.unless)
        self.id = _Field("id", spec.id, ctx)
        self.fields = tuple(_Field(name, f, ctx) for name, f in spec.fields.items())
        self.relations = tuple((name, _Relation(r, ctx)) for name, r in spec.relations.items())
        self.positional = any(f.spec.convert == "position" for f in (self.id, *self.fields))

    def matches(self, view: View, nulls: frozenset[str]) -> bool:
        """Whether the object passes the spec's ``when``/``unless`` conditions."""
        present = view.present
        names = self.when_names
        if names is not None and present is not None:
            if not names <= present:
                return False
        elif not view.has(self.when, nulls, every=True):
            return False
        names = self.unless_names
        if names is not None and present is not None:
            return names.isdisjoint(present)
        return not view.has(self.unless, nulls, every=False)


def _names(paths: tuple[Path, ...]) -> frozenset[str] | None:
    """The child names when every path is one, else None (the paths are read one by one)."""
    if all(simple for simple, _ in paths):
        return frozenset(name for _, name in paths)
    return None


class MappingPlan:
    """The record specs of a mapping, compiled for one source: maps source objects to items."""

    def __init__(
        self, mapping: Mapping, *, source: str, adapter: str, timezone: str, clock: Clock, keep_raw: bool = False
    ) -> None:
        self.mapping = mapping
        self.source = source
        self.adapter = adapter
        self.clock = clock
        self.keep_raw = keep_raw
        ctx = ConvertContext(
            tz=get_timezone(mapping.timezone or timezone),
            z_is_utc=mapping.z_is_utc,
            null_values=tuple(mapping.null_values),
        )
        self.context = ctx
        """The converters' defaults of this mapping and source (no URL, position 0)."""
        self._nulls = frozenset(ctx.null_values)
        self._compiled = {id(spec): _Record(spec, ctx) for spec in mapping.records}
        self.records = tuple(self._compiled[id(spec)] for spec in mapping.xml_records())
        paths = list(dict.fromkeys(path for rec in self.records for path in rec.element))
        self._element_paths = tuple(ElementPath(p) for p in paths)
        for rec in self.records:
            rec.element_at = tuple(paths.index(p) for p in rec.element)
        self._candidates: dict[tuple[bool, ...], tuple[_Record, ...]] = {}
        """The records an element may give, by which element paths it is at (computed once each)."""
        self._names: dict[Any, str] = {}
        self._ok_repeated: set[tuple[Any, ...]] = set()
        self._targets: dict[tuple[str, str], str] = {}

    @classmethod
    def for_source(cls, mapping: Mapping, ctx: SourceContext, adapter: str) -> MappingPlan:
        """The plan a mapped adapter (XML, SOAP) uses for the source in ``ctx``."""
        return cls(
            mapping,
            source=ctx.source.name,
            adapter=adapter,
            timezone=ctx.source.timezone,
            clock=ctx.clock,
            keep_raw=ctx.source.keep_raw,
        )

    def _target(self, kind: str, native: Any) -> str:
        """The id a relation value names; text values memoized (committees recur in every meeting)."""
        if not isinstance(native, str):
            return urn(self.source, kind, native_text(native))
        key = (kind, native)
        found = self._targets.get(key)
        if found is None:
            if len(self._targets) >= MAX_MEMO:
                self._targets.clear()
            found = self._targets[key] = urn(self.source, kind, native_text(native))
        return found

    # -- XML -----------------------------------------------------------------------------------
    def items(
        self, element: etree._Element, place: Place, positions: dict[str, int], seen: set[str]
    ) -> list[Record | Rejected | Notice]:
        """What one record element yields: for each spec it matches, a record or a rejection,
        after a notice for each value that could not be read (and was dropped).

        ``positions`` counts the elements per type (for ``position``); ``seen`` holds the ids of
        ``repeated`` records already yielded.
        """
        nulls = self._nulls
        names = self._names
        view = ElementValues(element, names, nulls)
        paths = self._element_paths
        if len(paths) == 1:
            at: tuple[bool, ...] = (paths[0].matches(element, names),)
        else:
            at = tuple(p.matches(element, names) for p in paths)
        candidates = self._candidates.get(at)
        if candidates is None:
            candidates = self._candidates[at] = tuple(r for r in self.records if any(at[i] for i in r.element_at))
        out: list[Record | Rejected | Notice] = []
        for rec in candidates:
            if not rec.matches(view, nulls):
                continue
            kind = rec.spec.type
            position = positions[kind] = positions.get(kind, 0) + 1
            notices: list[Notice] = []
            if rec.spec.repeated:
                item = self._repeated(rec, element, view, place, position, seen, notices)
            else:
                item = self.build(rec, element, view, place, position, notices)
            if item is not None:
                out.extend(notices)
                out.append(item)
        return out

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
                if len(self._ok_repeated) >= MAX_MEMO:
                    self._ok_repeated.clear()
                self._ok_repeated.add(key)
            if item.id in seen:
                return None
            seen.add(item.id)
        return item

    def _input_key(self, rec: _Record, view: View, place: Place) -> tuple[Any, ...] | None:
        """Everything a build reads: equal keys give equal records (the position aside)."""
        if self.keep_raw or rec.spec.type == Meeting.TYPE or rec.positional:
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

    # -- SOAP ----------------------------------------------------------------------------------
    def object_item(self, spec: RecordSpec, obj: Any, place: Place) -> tuple[Record | Rejected, list[Notice]] | None:
        """The record (or rejection) a SOAP result object gives under ``spec``, with the notices
        of dropped values; None when it does not pass the spec's ``when``/``unless``."""
        rec = self._compiled[id(spec)]
        view = ObjectValues(obj, place.root)
        if not rec.matches(view, self._nulls):
            return None
        notices: list[Notice] = []
        return self.build(rec, obj, view, place, place.position, notices), notices

    # -- building --------------------------------------------------------------------------------
    def build(
        self,
        rec: _Record,
        node: Node,
        view: View,
        place: Place,
        position: int,
        notices: list[Notice] | None = None,
    ) -> Record | Rejected:
        """The record ``node`` describes, or a :class:`Rejected` (dropped values noted in ``notices``)."""
        spec = rec.spec
        url = place.url
        xml = view if isinstance(view, ElementValues) else None
        try:
            native = rec.id.read_xml(xml, place, position) if xml is not None else rec.id.read(view, place, position)
        except VALUE_ERRORS as exc:
            return self.reject(spec, node, f"id: {exc}", None)
        if native is None or str(native).strip() == "":
            where = ", ".join(spec.id.path) or spec.id.param or "(id)"
            return self.reject(spec, node, f"no native id at {where}", None)
        native = str(native).strip()
        data: dict[str, Any] = {"id": urn(self.source, spec.type, native), "type": spec.type}
        problems = Problems(spec, native, notices)
        for field in rec.fields:
            try:
                value = field.read_xml(xml, place, position) if xml is not None else field.read(view, place, position)
            except VALUE_ERRORS as exc:
                problems.value(field.name, field.spec.required, exc)
                continue
            if value is None or value == []:
                if field.spec.required:
                    problems.empty(field.name, True)
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
            return self.reject(spec, node, "; ".join(problems.fatal), native)
        return self.finish(spec, node, data, native, url, problems.notices)

    def finish(
        self,
        spec: RecordSpec,
        node: Node,
        data: dict[str, Any],
        native: str | None,
        url: str | None,
        notices: list[Notice] | None = None,
    ) -> Record | Rejected:
        """The last step of every mapped record: meeting status, provenance, raw, validation.

        A value the model refuses is dropped with a notice (see :func:`validate_record`); the
        record is quarantined only when its identity or a ``required`` field fails.
        """
        now = self.clock.now()
        if spec.type == Meeting.TYPE:
            data["status"] = meeting_status(
                now=now,
                cancelled=data.get("cancelled"),
                meeting_state=data.get("meeting_state"),
                name=data.get("name"),
                start=data.get("start"),
                end=data.get("end"),
            )
        # validated with the record (one validation instead of two; the values cannot fail)
        data["provenance"] = {
            "source": self.source,
            "adapter": self.adapter,
            "original_id": native,
            "url": url,
            "fetched_at": now,
        }
        if self.keep_raw:
            data["raw"] = self.raw(node)
        try:
            record, dropped = validate_record(RECORD_TYPES[spec.type], data, required=spec.required_fields)
        except ValidationError as exc:
            return self.reject(spec, node, validation_reason(exc), native)
        if dropped and notices is not None:
            notices.extend(Notice(INVALID_VALUE, f"{spec.type} {native}: {d}") for d in dropped)
        return record

    def reject(self, spec: RecordSpec, node: Node, reason: str, native: str | None) -> Rejected:
        """A rejection of ``node`` for ``reason`` (with the record's id when the native id is known)."""
        ref = urn(self.source, spec.type, native) if native else None
        return Rejected(reason=reason, raw=self.raw(node), type=spec.type, ref=ref)

    def raw(self, node: Node) -> dict[str, Any]:
        """A JSON-able copy of the source object."""
        if isinstance(node, etree._Element):
            return element_to_dict(node)
        if isinstance(node, dict):
            return {str(k): _jsonable(v) for k, v in node.items()}
        return {"value": _jsonable(node)}


def native_text(value: Any) -> str:
    """A native id as text (a whole float as an integer)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
