"""Turning one source object (an XML element or a SOAP result object) into a record or a rejection."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lxml import etree
from pydantic import ValidationError

from ris_connector.adapters.base import AdapterContext, Notice, Rejected
from ris_connector.clock import Clock
from ris_connector.mapping.convert import ConvertContext, PlaceholderValue, convert, present
from ris_connector.mapping.model import FieldSpec, Mapping, RecordSpec, RelationSpec
from ris_connector.mapping.paths import XmlLookup, element_to_dict, object_values
from ris_connector.models import RECORD_TYPES, Meeting, Provenance, Record
from ris_connector.normalize.ids import urn
from ris_connector.normalize.records import INVALID_VALUE, validate_record, validation_reason
from ris_connector.normalize.status import meeting_status
from ris_connector.normalize.times import get_timezone

Node = Any  # an lxml element or a dict/list tree
Getter = Callable[[Node, str], list[Any]]
#: A field spec with every default (the mapping's null values): for ``when``/``unless`` tests.
_PLAIN = FieldSpec()


@dataclass(frozen=True)
class Place:
    """Where a source object was read: URL (for ``url`` fields), position, call arguments."""

    url: str | None = None
    position: int = 0
    root: Any = None
    params: AbcMapping[str, Any] | None = None
    """Arguments of the SOAP call; for XML the export URL's query is used."""
    lookup: XmlLookup | None = field(default=None, compare=False)
    """Memoized path values of the XML element (shared by the specs reading it)."""

    def param(self, name: str) -> list[Any]:
        """The values of a call argument or URL query parameter (names compared without case)."""
        wanted = name.lower()
        if self.params is not None:
            return [v for k, v in self.params.items() if k.lower() == wanted and v is not None]
        if not self.url:
            return []
        return [v for k, v in parse_qsl(urlsplit(self.url).query) if k.lower() == wanted]


#: Notice code of a placeholder (``N/A``, ``-``) where a value belongs: the field stays empty.
PLACEHOLDER = "placeholder"
#: What converting one value may raise (the converters' ValueError, and what odd values cause).
VALUE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


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


class RecordBuilder:
    """Builds records of one mapping for one source."""

    def __init__(
        self, mapping: Mapping, *, source: str, adapter: str, timezone: str, clock: Clock, keep_raw: bool = False
    ) -> None:
        self.mapping = mapping
        self.source = source
        self.adapter = adapter
        self.clock = clock
        self.keep_raw = keep_raw
        self._ctx = ConvertContext(
            tz=get_timezone(mapping.timezone or timezone),
            z_is_utc=mapping.z_is_utc,
            null_values=tuple(mapping.null_values),
        )

    @property
    def context(self) -> ConvertContext:
        """The converters' defaults of this mapping and source (no URL, position 0)."""
        return self._ctx

    @classmethod
    def for_source(cls, mapping: Mapping, ctx: AdapterContext, adapter: str) -> RecordBuilder:
        """The builder a mapped adapter (XML, SOAP) uses for the source in ``ctx``."""
        return cls(
            mapping,
            source=ctx.source.name,
            adapter=adapter,
            timezone=ctx.source.timezone,
            clock=ctx.clock,
            keep_raw=ctx.source.keep_raw,
        )

    # -- reading values ----------------------------------------------------------------------
    def _getter(self, node: Node, place: Place) -> Getter:
        if isinstance(node, etree._Element):
            lookup = place.lookup if place.lookup is not None else XmlLookup(node)
            return lambda _node, path: lookup(path)
        return lambda obj, path: object_values(obj, path, root=place.root)

    def _read(self, node: Node, spec: FieldSpec, place: Place, get: Getter, ctx: ConvertContext | None = None) -> Any:
        ctx = ctx or replace(self._ctx, base_url=place.url, position=place.position)
        if spec.value is not None:
            values: list[Any] = [spec.value]
        else:
            values = []
            for path in spec.path:
                values.extend(present(get(node, path), spec, ctx))
                if values and spec.convert not in ("list", "join"):
                    break
            if not values and spec.param:
                values = present(place.param(spec.param), spec, ctx)
        return convert(values, spec, ctx)

    def matches(self, spec: RecordSpec, node: Node, place: Place) -> bool:
        """Whether ``node`` passes the spec's ``when``/``unless`` conditions."""
        get = self._getter(node, place)
        plain = _PLAIN
        ctx = self._ctx
        if any(not present(get(node, p), plain, ctx) for p in spec.when):
            return False
        return not any(present(get(node, p), plain, ctx) for p in spec.unless)

    def native_id(self, spec: RecordSpec, node: Node, place: Place) -> str | None:
        """The native id of ``node`` as text, or None."""
        value = self._read(node, spec.id, place, self._getter(node, place))
        return None if value is None else str(value)

    # -- building ----------------------------------------------------------------------------
    def build(
        self, spec: RecordSpec, node: Node, place: Place, notices: list[Notice] | None = None
    ) -> Record | Rejected:
        """The record ``node`` describes, or a :class:`Rejected` with the reason.

        A value that cannot be converted costs the value, not the record: it is left out and a
        notice appended to ``notices``. Only the native id and ``required`` fields and relations
        quarantine the record.
        """
        get = self._getter(node, place)
        try:
            native = self._read(node, spec.id, place, get)
        except VALUE_ERRORS as exc:
            return self.reject(spec, node, f"id: {exc}", None)
        if native is None or str(native).strip() == "":
            where = ", ".join(spec.id.path) or spec.id.param or "(id)"
            return self.reject(spec, node, f"no native id at {where}", None)
        native = str(native).strip()
        data: dict[str, Any] = {"id": urn(self.source, spec.type, native), "type": spec.type}
        problems = Problems(spec, native, notices)
        ctx = replace(self._ctx, base_url=place.url, position=place.position)
        for name, field_spec in spec.fields.items():
            try:
                value = self._read(node, field_spec, place, get, ctx)
            except VALUE_ERRORS as exc:
                problems.value(name, field_spec.required, exc)
                continue
            if value is None or value == []:
                problems.empty(name, field_spec.required)
                continue
            data[name] = value
        for name, relation in spec.relations.items():
            try:
                value = self._relation(node, relation, place, get)
            except VALUE_ERRORS as exc:
                problems.value(name, relation.required, exc)
                continue
            if value:
                data[name] = value
            else:
                problems.empty(name, relation.required)
        if problems.fatal:
            return self.reject(spec, node, "; ".join(problems.fatal), native)
        return self.finish(spec, node, data, native, place.url, problems.notices)

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
        data["provenance"] = Provenance(
            source=self.source, adapter=self.adapter, original_id=native, url=url, fetched_at=now
        )
        if self.keep_raw:
            data["raw"] = self.raw(node)
        try:
            record, dropped = validate_record(RECORD_TYPES[spec.type], data, required=spec.required_fields)
        except ValidationError as exc:
            return self.reject(spec, node, validation_reason(exc), native)
        if notices is not None:
            notices.extend(Notice(INVALID_VALUE, f"{spec.type} {native}: {d}") for d in dropped)
        return record

    def _relation(self, node: Node, relation: RelationSpec, place: Place, get: Getter) -> str | list[str] | None:
        values: list[Any] = []
        ctx = self._ctx
        if any(not present(get(node, p), _PLAIN, ctx) for p in relation.when):
            return None
        if relation.value is not None:
            values = [relation.value]
        for path in relation.path:
            values.extend(present(get(node, path), relation, ctx))
            if values and not relation.many:
                break
        if not values and relation.param:
            values = present(place.param(relation.param), relation, ctx)
        if relation.separator:
            values = [p.strip() for v in values for p in str(v).split(relation.separator) if p.strip()]
        ids = [urn(self.source, relation.type, native_text(v)) for v in values]
        if relation.many:
            return list(dict.fromkeys(ids))
        return ids[0] if ids else None

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
