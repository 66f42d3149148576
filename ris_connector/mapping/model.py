"""The mapping file (TOML) shared by the XML and SOAP adapters, as pydantic models.

A mapping says, per record type, where its records are (an XML element path or a SOAP
operation's result path), which value is the native id, how each field is read and
converted, and which fields are references to other records. A new municipality with an
export of known shape needs only such a file, no Python code.
"""

from __future__ import annotations

import sys
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ris_connector.errors import ConfigError
from ris_connector.models import RECORD_TYPES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Convert = Literal["text", "int", "float", "bool", "date", "datetime", "list", "join", "url", "position", "raw"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """How one field is read: from where, and converted how."""

    path: list[str] = Field(default_factory=list)
    """Paths relative to the record (``a/b``, ``@attr``, ``..``; ``/x`` from the document root).
    The first non-empty value wins (``join`` and ``list`` use all)."""
    param: str | None = Field(None, validation_alias=AliasChoices("param", "url_param"))
    """Fallback: a query parameter of the export URL (XML, e.g. ``SILFDNR``) or an argument of
    the call (SOAP, e.g. ``sitzungId``); ``url_param`` is accepted as another name."""
    value: Any = None
    """A constant instead of a path."""
    convert: Convert = "text"
    format: list[str] = Field(default_factory=list)
    """strptime formats for ``date``/``datetime`` (tried in order); none: ISO 8601 and friends."""
    z_is_utc: bool | None = None
    """Whether a trailing ``Z`` means UTC (default: the mapping's ``z_is_utc``)."""
    timezone: str | None = None
    """Timezone of naive times (default: the mapping's, else the source's)."""
    separator: str | None = None
    """``list``: split text values at this separator; ``join``: glue values with it (default ``.``)."""
    true_values: list[str] = Field(default_factory=lambda: ["true", "1", "ja", "yes", "j", "y", "x"])
    false_values: list[str] = Field(default_factory=lambda: ["false", "0", "nein", "no", "n", ""])
    null_values: list[str] | None = None
    """Values that mean "empty" (default: the mapping's ``null_values``)."""
    template: str | None = None
    """Format the value into a string, ``{}`` is the value (e.g. ``to010.asp?SILFDNR={}``)."""
    required: bool = False
    """A record without this value is quarantined."""

    @field_validator("path", "format", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class RelationSpec(FieldSpec):
    """A field holding references: each value is the native id of a ``type`` record."""

    type: str
    many: bool = False
    when: list[str] = Field(default_factory=list)
    """Only when all these paths have a value (e.g. an agenda item's consultation only with a paper)."""

    @field_validator("when", mode="before")
    @classmethod
    def _listify_when(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in RECORD_TYPES:
            raise ValueError(f"unknown record type {value!r} (known: {', '.join(sorted(RECORD_TYPES))})")
        return value


class RecordSpec(_Strict):
    """Where the records of one type are and how their fields are read."""

    type: str
    element: list[str] = Field(default_factory=list)
    """XML: path of the record element, matched from its end (``list/element`` = an ``element``
    whose parent is ``list``); several paths are alternatives."""
    operation: str | None = None
    """SOAP: the operation whose result holds these records."""
    result: str = ""
    """SOAP: path of the records inside the operation's result (empty: the result itself)."""
    when: list[str] = Field(default_factory=list)
    """Only elements where all these paths have a value."""
    unless: list[str] = Field(default_factory=list)
    """Not elements where any of these paths has a value."""
    id: FieldSpec
    """The native id; the record id becomes ``urn:ris:<source>:<type>:<native id>``."""
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    relations: dict[str, RelationSpec] = Field(default_factory=dict)
    repeated: bool = False
    """The same record is met many times (e.g. a committee named in every meeting): yield once per run."""
    stream: str | None = None

    @field_validator("element", "when", "unless", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @cached_property
    def required_fields(self) -> frozenset[str]:
        """Fields and relations marked ``required``: the record is quarantined if they fail."""
        specs: dict[str, FieldSpec] = {**self.fields, **self.relations}
        return frozenset(name for name, spec in specs.items() if spec.required)

    @field_validator("id", mode="before")
    @classmethod
    def _id_shorthand(cls, value: object) -> object:
        return {"path": value} if isinstance(value, (str, list)) else value

    @field_validator("fields", "relations", mode="before")
    @classmethod
    def _field_shorthand(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: {"path": v} if isinstance(v, (str, list)) else v for k, v in value.items()}
        return value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in RECORD_TYPES:
            raise ValueError(f"unknown record type {value!r} (known: {', '.join(sorted(RECORD_TYPES))})")
        return value

    @model_validator(mode="after")
    def _fields_exist(self) -> RecordSpec:
        model = RECORD_TYPES[self.type]
        known = set(model.model_fields)
        for name in [*self.fields, *self.relations]:
            if name not in known or name in {"id", "type", "provenance", "raw"}:
                raise ValueError(f"{self.type} has no field {name!r}")
        for name in self.relations:
            if name not in model.REFERENCES and name != "body":
                raise ValueError(f"{self.type}.{name} is not a reference field ({', '.join(model.REFERENCES)})")
        return self


class ArgSpec(_Strict):
    """The records of another type whose values drive an operation (one call per value)."""

    type: str
    path: str = ""
    """Path in that type's source objects (empty: the native id)."""


class OperationSpec(_Strict):
    """SOAP: one operation to call, with its arguments."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    """Arguments; strings may hold ``{since:FMT}``, ``{until:FMT}`` (the date window) and ``{value}``."""
    for_each: ArgSpec | None = None
    """Call once per distinct value taken from the records of an earlier operation."""
    on_fault: Literal["fail", "skip"] = "fail"
    """``skip``: a SOAP fault of one call is counted as a warning and the run goes on."""


class Mapping(_Strict):
    """A whole mapping file."""

    name: str = ""
    description: str = ""
    timezone: str | None = None
    z_is_utc: bool = True
    """Whether ``...Z`` time stamps really are UTC; many RIS write local time with a ``Z``."""
    encoding: str = "auto"
    """``auto``: repair lying labels (latin-1 read as cp1252, UTF-8 under latin-1 read as UTF-8);
    or a codec name that overrides every label."""
    null_values: list[str] = Field(default_factory=list)
    window_days_back: int = 3650
    """SOAP date windows of full runs reach this far back."""
    window_days_ahead: int = 365
    """SOAP date windows reach this far ahead of now."""
    records: list[RecordSpec] = Field(alias="record", min_length=1)
    operations: list[OperationSpec] = Field(default_factory=list, alias="operation")
    source_file: str = Field("", exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _operations_known(self) -> Mapping:
        names = {op.name for op in self.operations}
        for rec in self.records:
            if rec.operation and rec.operation not in names:
                raise ValueError(f"record {rec.type}: operation {rec.operation!r} is not listed in [[operation]]")
        return self

    def xml_records(self) -> list[RecordSpec]:
        """Record specs with an ``element`` (for the XML adapter)."""
        return [r for r in self.records if r.element]

    def record_tags(self) -> set[str]:
        """Local names of every record element."""
        return {path.rstrip("/").rsplit("/", 1)[-1] for r in self.records for path in r.element}


def _where(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """``record[2].fields.start.convert`` with the record's type for orientation."""
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict) and "type" in node[item]:
                label = f"[{item}] ({node[item]['type']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + item)
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts) or "(file)"


def parse_mapping(data: dict[str, Any], source_file: str) -> Mapping:
    """Validate TOML data; ConfigError naming the file and the key of each problem."""
    try:
        return Mapping.model_validate({**data, "source_file": source_file})
    except ValidationError as exc:
        problems = "; ".join(f"{_where(tuple(e['loc']), data)}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"mapping {source_file}: {problems}") from None


def shipped_mappings() -> list[str]:
    """Names of the mappings that come with ris-connector (``allris3``, ...)."""
    folder = resources.files("ris_connector") / "mappings"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_mapping(name_or_path: str, *, base: Path | None = None) -> Mapping:
    """A mapping from a file path (relative to ``base``) or the name of a shipped one."""
    path = Path(name_or_path)
    if base is not None and not path.is_absolute():
        path = base / path
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read mapping {path}: {exc.strerror or exc}") from None
        where = str(path)
    else:
        if name_or_path not in shipped_mappings():
            raise ConfigError(
                f"no mapping file {name_or_path!r} and no shipped mapping of that name "
                f"(shipped: {', '.join(shipped_mappings())})"
            )
        text = (resources.files("ris_connector") / "mappings" / f"{name_or_path}.toml").read_text(encoding="utf-8")
        where = f"{name_or_path} (shipped)"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"mapping {where}: {exc}") from None
    return parse_mapping(data, where)
