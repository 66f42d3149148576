"""``JsonAdapter``: a JSON API source declared by class attributes; the SDK runs the sync loop.

The author declares where the list is and how it pages, and writes :meth:`JsonAdapter.map`
from one raw item to a record. The SDK does the rest, the same way for every source: it asks the
core's HTTP client (retries, rate limit, allowed hosts, size limits), sends the incremental
filter (``ctx.since``: the last watermark minus the overlap) or the date window, follows the
pages with loop detection, quarantines an item that cannot be mapped (the run goes on), and
yields the stream's :class:`~ris_connector.adapters.base.Checkpoint` once the list is complete.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from ris_connector.adapters.base import Item, OptionsT, Rejected, Tombstone, quarantine
from ris_connector.adapters.sdk.paging import Page, PageRequest, Paginator, SinglePage, value_at
from ris_connector.adapters.sdk.source import DeclaredSource, Get
from ris_connector.errors import HttpStatusError, InvalidPayload, NotFound, PaginationLoop
from ris_connector.http import HttpResponse

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]
"""One raw item of a JSON API, as ``map`` receives it."""


class JsonAdapter(DeclaredSource[OptionsT]):
    """A JSON API source: set the class attributes, write :meth:`map`.

    ::

        class EventsAdapter(JsonAdapter):
            name = "events"
            type = "Appointment"
            records = "items"
            paginator = NextLink("next")
            since_param = "modified_since"

            def map(self, item):
                return models.Appointment(id=self.id_of(item), name=item["title"], ...)
    """

    records: ClassVar[str | None] = "items"
    """Where the items are in an answer: a dotted path, ``""`` for an answer that is the list,
    None for an answer that is one item."""
    paginator: ClassVar[Paginator] = SinglePage()
    """How the list pages (:mod:`ris_connector.adapters.sdk.paging`)."""
    id_field: ClassVar[str] = "id"
    """The item's native id (a dotted path); a URL becomes the id as it is, anything else a URN."""
    deleted_field: ClassVar[str | None] = None
    """An item with a true value here (``"deleted": true``) was deleted at the source: a tombstone."""
    modified_field: ClassVar[str | None] = None
    """The item's last-change time: incremental runs skip items older than ``ctx.since`` (for
    APIs without a ``since_param``, or that ignore it)."""
    max_pages: ClassVar[int] = 10_000
    """More pages than this (or than the source's ``max_pages_per_list``) in one list is a
    :class:`~ris_connector.errors.PaginationLoop`."""

    @classmethod
    def requires_full_run(cls, options: OptionsT) -> bool:
        """A source with neither a change filter nor a date window is read whole every run."""
        return not (cls.since_param or cls.modified_field or cls.window)

    def native_id(self, item: Any) -> Any:
        """The native id of a raw item (at :attr:`id_field`), or the item itself if it is no object."""
        return value_at(item, self.id_field) if isinstance(item, Mapping) else item

    def read(self, get: Get, since: datetime | None) -> Iterator[Item]:
        """Every page of ``get``, its items mapped."""
        request: PageRequest | None = self.paginator.first(get.url, get.params)
        seen: set[str] = set()
        last_ids: list[Any] | None = None
        max_pages = min(self.max_pages, self.ctx.list_budget.max_pages)
        while request is not None:
            if request.key in seen:
                raise PaginationLoop(f"{self.type} list: the page {request.key} was asked for before", url=request.url)
            if len(seen) >= max_pages:
                raise PaginationLoop(f"{self.type} list: more than {max_pages} pages", url=request.url)
            seen.add(request.key)
            self.reading = request.url
            try:
                response = self.ctx.http.get(request.url, params=request.params)
            except HttpStatusError as exc:
                if get.item is None:
                    raise
                yield self._object_failed(get, exc)
                return
            body = decode_json(response)
            items = self._items(body, response)
            ids = [value_at(i, self.id_field) if isinstance(i, Mapping) else i for i in items]
            if ids and ids == last_ids and any(x is not None for x in ids):
                raise PaginationLoop(
                    f"{self.type} list: {request.key} holds the same items as the page before", url=response.url
                )
            last_ids = ids
            for item in items:
                yield from self._item(item, get, since)
            if self.ctx.list_budget.exhausted:
                return  # max_records_per_list: the engine takes no more of this list
            request = self.paginator.next(Page(request, response, body, items))

    def _object_failed(self, get: Get, exc: HttpStatusError) -> Item:
        """A request for one object answered 4xx: deleted (404, 410), else quarantined."""
        rid = self.id_of(get.item)
        if isinstance(exc, NotFound) and exc.status in (404, 410):
            log.info("%s: %s no longer exists (HTTP %s)", self.ctx.source.name, rid, exc.status)
            return Tombstone(rid, self.type)
        return Rejected(f"{self.type} {get.item}: HTTP {exc.status}", {"id": get.item}, self.type, rid)

    def _items(self, body: Any, response: HttpResponse) -> list[Any]:
        if self.records is None:
            return [body]
        found = value_at(body, self.records) if self.records else body
        if not isinstance(found, list):
            where = f"at {self.records!r}" if self.records else "as the answer"
            raise InvalidPayload(f"{self.type} list: no list {where} (got {type(found).__name__})", url=response.url)
        return found

    def _item(self, item: Any, get: Get, since: datetime | None) -> list[Item]:
        if get.item is not None and str(self.native_id(item)) != str(get.item):
            reason = f"{self.type} {get.item}: the answer is about another object"
            return [Rejected(reason, {"id": get.item}, self.type, self.id_of(get.item))]
        if self.deleted_field and isinstance(item, Mapping) and value_at(item, self.deleted_field) is True:
            return quarantine(item, lambda: self.tombstone(item), type_name=self.type)
        if since is not None and self.modified_field and isinstance(item, Mapping):
            modified = self._modified(item)
            if modified is not None and modified < since:
                return []
        return self.mapped(item, item)

    def _modified(self, item: Mapping[str, Any]) -> datetime | None:
        when = self.time(value_at(item, self.modified_field or ""))
        return when if isinstance(when, datetime) else None  # unreadable: map it, rather than lose a change


def decode_json(response: HttpResponse) -> Any:
    """The JSON data of ``response``; an HTML page or broken JSON is an InvalidPayload naming the URL."""
    body = response.content
    try:
        return json.loads(body)
    except UnicodeDecodeError:  # not UTF-8: read with the declared charset (cp1252 for a latin-1 label)
        return decode_json_text(response)
    except ValueError as exc:
        head = body.lstrip()[:200].lower()
        if head.startswith(b"<"):
            kind = "an HTML page" if b"<html" in head or b"<!doctype" in head else "XML"
            raise InvalidPayload(
                f"{kind} with HTTP {response.status} where JSON was expected", url=response.url
            ) from None
        if not head:
            raise InvalidPayload(
                f"an empty answer with HTTP {response.status} where JSON was expected", url=response.url
            ) from None
        raise InvalidPayload(f"invalid JSON: {exc}", url=response.url) from None


def decode_json_text(response: HttpResponse) -> Any:
    """The JSON data of a body that is not UTF-8, decoded as :attr:`HttpResponse.text` does."""
    try:
        return json.loads(response.text)
    except ValueError as exc:
        raise InvalidPayload(f"invalid JSON: {exc}", url=response.url) from None


__all__ = ["JsonAdapter", "JsonObject", "decode_json"]
