"""``DeclaredSource``: what the SDK's declarative sources (JSON API, XML document) share.

A declared source names its record type, its list's place below the source's ``url`` and its
filters (a "changed since" parameter, a date window, fixed parameters) as class attributes, and
maps one raw item in :meth:`DeclaredSource.map`. The SDK reads, filters, quarantines and
checkpoints; the subclasses say how an answer holds its items.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ris_connector.adapters.base import Adapter, Built, Checkpoint, Item, Notice, OptionsT, Tombstone, quarantine
from ris_connector.adapters.sdk.window import DateWindow
from ris_connector.errors import ConfigError
from ris_connector.models import RECORD_TYPES
from ris_connector.normalize import canonical_url, parse_datetime, urn
from ris_connector.normalize.ids import is_url
from ris_connector.normalize.records import validate_record
from ris_connector.notices.values import INVALID_VALUE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Get:
    """One GET the source is read with: the list URL (or one object's, with ``item`` its native id).

    A request for one object (``item`` set) answers for that object only: 404/410 mean it was
    deleted (a tombstone), another 4xx quarantines it, and an answer about another object is
    refused. A list request that fails fails the run.
    """

    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    item: Any = None


class DeclaredSource(Adapter[OptionsT]):
    """Shared declaration and helpers of :class:`JsonAdapter` and :class:`XmlDocumentAdapter`."""

    type: ClassVar[str] = ""
    """The record type of the items (``"Appointment"``, ``"Meeting"``...): ids and quarantine name it."""
    stream: ClassVar[str] = ""
    """The stream's name in the state (default: the type in lower case plus ``s``)."""
    path: ClassVar[str] = ""
    """The list's path below the source's ``url`` (empty: the ``url`` itself)."""
    since_param: ClassVar[str | None] = None
    """Query parameter for "changed since": incremental runs send ``ctx.since`` (ISO 8601)."""
    window: ClassVar[DateWindow | None] = None
    """A calendar-like source's date range parameters (:class:`~ris_connector.adapters.sdk.window.DateWindow`)."""
    params: ClassVar[Mapping[str, str]] = {}
    """Fixed query parameters of the first request."""
    personal: ClassVar[bool] = False
    """The items are about persons: quarantine keeps only their id, reasons name no values."""

    reading: str | None = None
    """What is being read (the URL of the page): named by the engine if the run fails unexpectedly."""

    @classmethod
    def requires_full_run(cls, options: OptionsT) -> bool:
        """A source with neither a change filter nor a date window is read whole every run."""
        return not (cls.since_param or cls.window)

    @abstractmethod
    def map(self, item: Any) -> Built:
        """The record (or records, or a :class:`Tombstone`, or None to skip) of one raw item.

        Raise any data error (``KeyError``, ``ValueError``, pydantic's ``ValidationError``,
        :class:`~ris_connector.errors.DataError`): the SDK quarantines the item with the reason.
        """

    # -- helpers for map() ---------------------------------------------------------------------
    def native_id(self, item: Any) -> Any:
        """The native id of a raw item (subclasses read it from their item kind)."""
        return item

    def id_of(self, item: Any) -> str:
        """The record id of ``item`` (a raw item or its native id): a URL as it is, else a URN."""
        native = self.native_id(item)
        if native is None or str(native).strip() == "":
            raise KeyError(f"{self.type} without an id")
        if is_url(native):
            return canonical_url(str(native))
        return urn(self.ctx.source.name, self.type, native)

    def tombstone(self, item: Any) -> Tombstone:
        """The item is deleted at the source."""
        return Tombstone(self.id_of(item), self.type)

    def time(self, value: Any) -> Any:
        """A date-time of the source; one without an offset is a local time of the source's timezone.

        A value that cannot be read is returned as it is: :meth:`record` then drops it with a
        counted notice (a model built directly refuses it, which quarantines the item).
        """
        try:
            return parse_datetime(value, self.ctx.source.timezone)
        except (ValueError, TypeError, OverflowError):
            return value

    def record(self, **fields: Any) -> list[Item]:
        """The record of :attr:`type` with ``fields``; a value the model refuses costs that value.

        The refused value is left out and counted as an ``invalid-value`` notice (for
        ``personal`` sources without the value); a refused id or required field raises, which
        quarantines the item. An unknown field name is a mistake of the adapter: TypeError.
        """
        cls = RECORD_TYPES[self.type]
        known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise TypeError(f"{self.type} has no field {', '.join(map(repr, unknown))}")
        record, dropped = validate_record(cls, fields)
        shown = (lambda d: f"{d.field}: dropped") if self.personal else str
        notices: list[Item] = [Notice(INVALID_VALUE, f"{self.type} {record.id}: {shown(d)}") for d in dropped]
        return [*notices, record]

    def url(self, path: str | None = None) -> str:
        """The source's ``url`` with ``path`` (default: :attr:`path`) appended."""
        base = self.ctx.source.url
        if not base:
            raise ConfigError(f"source {self.ctx.source.name!r}: the {self.name} adapter needs url")
        path = self.path if path is None else path
        return f"{base.rstrip('/')}/{path.lstrip('/')}" if path else base

    # -- the loop ------------------------------------------------------------------------------
    @property
    def stream_name(self) -> str:
        """The stream this adapter checkpoints."""
        return self.stream or f"{self.type.lower()}s"

    def requests(self, since: datetime | None) -> Iterable[Get]:
        """The GETs that read the source (default: the list at :meth:`url` with the run's filters)."""
        params = dict(self.params)
        if since is not None and self.since_param:
            params[self.since_param] = since.isoformat()
        if self.window is not None:
            params.update(self.window.params(self.ctx.clock.now(), since))
        yield Get(self.url(), params)

    def fetch(self) -> Iterator[Item]:
        """Read every request and map its items; checkpoint the stream once all are read."""
        started = self.ctx.clock.now()
        since = self.ctx.since(self.stream_name)
        for get in self.requests(since):
            yield from self.read(get, since)
        yield Checkpoint.watermark(self.stream_name, started, type=self.type)

    @abstractmethod
    def read(self, get: Get, since: datetime | None) -> Iterator[Item]:
        """The items of one request (all its pages)."""

    def mapped(self, item: Any, raw: Any) -> list[Item]:
        """:meth:`map` of one item, or its quarantine (``raw`` is what the quarantine keeps)."""
        try:
            native = self.native_id(item)
        except (ValueError, TypeError, KeyError):
            native = None
        known = native is not None and str(native).strip() != ""
        what = f"{self.type} {native}" if known else f"{self.type} without an id"
        ref = self.id_of(native) if known else None
        if self.personal:
            raw = {"id": native}
        return quarantine(raw, lambda: self.map(item), type_name=self.type, ref=ref, what=what, personal=self.personal)
