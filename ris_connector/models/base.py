"""The record base class shared by every normalized type."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from ris_connector.jsontext import canonical
from ris_connector.urlsafe import URL, URL_OR_TEXT, clean_fields

#: Fields that describe where a record came from rather than what it says; they are left
#: out of the content hash, so a re-stamped ``modified`` or a new fetch is no change.
NON_CONTENT_FIELDS = frozenset({"provenance", "raw", "created", "modified"})
_NON_CONTENT_KEYS = tuple(NON_CONTENT_FIELDS)  # one-word names: the JSON names are the same


def content_of(json_data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of :meth:`Record.to_json_dict` data that the content hash covers."""
    content = dict(json_data)  # a copy without four keys: half the cost of a filtering comprehension
    for key in _NON_CONTENT_KEYS:
        content.pop(key, None)
    return content


def digest_of_content(content: Mapping[str, Any]) -> str:
    """The content hash of what :func:`content_of` returned."""
    return hashlib.blake2b(canonical(content), digest_size=16).hexdigest()


def content_digest(json_data: Mapping[str, Any]) -> str:
    """:meth:`Record.content_hash` from the record's :meth:`Record.to_json_dict` (serialized once)."""
    return digest_of_content(content_of(json_data))


class Model(BaseModel):
    """Common pydantic settings: snake_case in Python, OParl camelCase in JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        validate_assignment=False,
        ser_json_timedelta="iso8601",
    )


class Provenance(Model):
    """Where and when a record was read."""

    source: str = Field(description="Name of the configured source.")
    adapter: str = Field(description="Adapter that produced the record (oparl, soap, xml, ics, ...).")
    original_id: str | None = Field(None, description="The id or URL the source itself uses.")
    url: str | None = Field(None, description="The URL the record was read from, if any.")
    fetched_at: AwareDatetime = Field(description="When the record was read.")


class Record(Model):
    """Fields every normalized record has."""

    TYPE: ClassVar[str] = "Record"
    #: Fields whose values are ids of other records (single id or list of ids).
    REFERENCES: ClassVar[tuple[str, ...]] = ()
    #: Fields holding URLs that outputs republish -> kind (``ris_connector.urlsafe``): only
    #: http(s) URLs are kept, whatever built the record.
    URL_FIELDS: ClassVar[dict[str, str]] = {"web": URL, "license": URL_OR_TEXT}

    id: str = Field(description="Stable id: the OParl URL, or urn:ris:<source>:<type>:<native id>.")
    type: str
    body: str | None = Field(None, description="Id of the Body the record belongs to, where known.")
    name: str | None = None
    created: AwareDatetime | None = None
    modified: AwareDatetime | None = None
    deleted: bool = False
    keyword: list[str] = Field(default_factory=list)
    web: str | None = Field(None, description="HTML page of the record at the source.")
    license: str | None = Field(None, description="Licence URL or, where the source gives text, that text.")
    provenance: Provenance | None = None
    raw: dict[str, Any] | None = Field(None, description="Original payload, kept when configured.")
    url_notes: SkipJsonSchema[tuple[tuple[str, str, str], ...] | None] = Field(None, exclude=True, repr=False)
    """(code, field, value) of URL values dropped (``unsafe-url``) or repaired (``url-repaired``)
    when the record was built; never stored. The sync engine turns them into notices
    (``ris_connector.sync.safety``)."""

    @model_validator(mode="after")
    def _only_safe_urls(self) -> Record:
        """Keep only http(s) URLs in URL fields (no ``javascript:``, ``data:``, ...), noting changes."""
        notes = clean_fields(self.__dict__, self.URL_FIELDS)
        if notes:
            self.__dict__["url_notes"] = (*(self.url_notes or ()), *notes)
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """The record as OParl-style camelCase JSON data, without empty values.

        ``model_dump(mode="json", by_alias=True, exclude_none=True)`` without its Python
        wrapper (about a sixth of its time; it runs once per record of every sync)."""
        return self.__pydantic_serializer__.to_python(self, mode="json", by_alias=True, exclude_none=True)  # type: ignore[no-any-return]

    def content_hash(self) -> str:
        """Hash of what the record says; unchanged content gives the same hash."""
        return content_digest(self.to_json_dict())

    def references(self) -> list[tuple[str, str]]:
        """(field, target id) pairs for every reference this record holds."""
        out: list[tuple[str, str]] = []
        for field in self.REFERENCES:
            value = getattr(self, field)
            if value is None or value == []:  # most reference fields of most records: nothing to look at
                continue
            if isinstance(value, str):
                out.append((field, value))
            elif isinstance(value, list):
                out += [(field, v) for v in value if isinstance(v, str)]
        return out
