"""The adapter SDK: declare a source, map one item; the SDK runs the sync loop.

Everything an adapter author imports is here::

    from ris_connector.adapters.sdk import JsonAdapter, NextLink

* the declarative sources: :class:`JsonAdapter` (a JSON API: lists paged by :class:`NextLink`,
  :class:`LinkHeader`, :class:`PageNumber`, :class:`Offset` or :class:`Cursor`, or one object
  per request) and :class:`XmlDocumentAdapter` (the record elements of an XML document), with a
  "changed since" parameter or a calendar's :class:`DateWindow`;
* the adapter API they rest on, for sources that need their own loop: :class:`Adapter`
  (generic in its options), :class:`AdapterOptions`, the items (:class:`Checkpoint` with
  :meth:`Checkpoint.watermark`, :class:`Tombstone`, :class:`Rejected`, :class:`Notice`,
  :class:`MissingReference`), ``ctx.since(stream)`` and :func:`quarantine`.
"""

from ris_connector.adapters.base import (
    Adapter,
    AdapterContext,
    AdapterOptions,
    Checkpoint,
    Item,
    MissingReference,
    Notice,
    Rejected,
    Tombstone,
    quarantine,
    read_watermark,
)
from ris_connector.adapters.sdk.jsonsource import JsonAdapter, JsonObject, decode_json
from ris_connector.adapters.sdk.paging import (
    Cursor,
    LinkHeader,
    NextLink,
    Offset,
    Page,
    PageNumber,
    PageRequest,
    Paginator,
    SinglePage,
)
from ris_connector.adapters.sdk.source import DeclaredSource, Get
from ris_connector.adapters.sdk.window import DateWindow
from ris_connector.adapters.sdk.xmlsource import XmlDocumentAdapter

__all__ = [
    "Adapter",
    "AdapterContext",
    "AdapterOptions",
    "Checkpoint",
    "Cursor",
    "DateWindow",
    "DeclaredSource",
    "Get",
    "Item",
    "JsonAdapter",
    "JsonObject",
    "LinkHeader",
    "MissingReference",
    "NextLink",
    "Notice",
    "Offset",
    "Page",
    "PageNumber",
    "PageRequest",
    "Paginator",
    "Rejected",
    "SinglePage",
    "Tombstone",
    "XmlDocumentAdapter",
    "decode_json",
    "quarantine",
    "read_watermark",
]
