"""``XmlDocumentAdapter``: an XML document (export, feed) whose record elements the author maps.

The SDK fetches the document through the core's HTTP client (with the incremental parameter or
the date window, as a JSON source), streams it through the hardened parser of
:mod:`ris_connector.xmlsafe` (no DTD, no entities, lying encoding labels repaired, bounded
memory), hands each element named in ``elements`` to :meth:`XmlDocumentAdapter.map`,
quarantines an element that cannot be mapped, reports the repairs as notices and checkpoints the
stream. For exports described by a mapping file instead of code, use the ``xml`` adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from lxml import etree

from ris_connector.adapters.base import Item, Notice, OptionsT
from ris_connector.adapters.sdk.source import DeclaredSource, Get
from ris_connector.errors import SourceError
from ris_connector.mapping.paths import element_to_dict, xml_values
from ris_connector.notices.values import CONTROL_CHARACTERS, ENCODING_LABEL
from ris_connector.xmlsafe import DecodeReport, XmlStream

_CHUNK = 1024 * 1024


class XmlDocumentAdapter(DeclaredSource[OptionsT]):
    """An XML document source: set ``elements`` (and the shared attributes), write :meth:`map`."""

    elements: ClassVar[tuple[str, ...]] = ()
    """Local names of the record elements (namespaces ignored)."""
    id_path: ClassVar[str] = "@id"
    """Where an element holds its native id: ``@attr``, a child name, or a path (``a/b``)."""

    def native_id(self, item: Any) -> Any:
        """The native id of an element (at :attr:`id_path`), or the item itself if it is none."""
        if isinstance(item, etree._Element):
            found = xml_values(item, self.id_path)
            return found[0] if found else None
        return item

    def text(self, element: etree._Element, path: str) -> str | None:
        """The first text at ``path`` (``child``, ``@attr``, ``a/b``) of ``element``, or None."""
        found = xml_values(element, path)
        return found[0] if found else None

    def read(self, get: Get, since: datetime | None) -> Iterator[Item]:
        """The record elements of the document ``get`` names, mapped."""
        self.reading = get.url
        response = self.ctx.http.get(get.url, params=get.params or None)
        body = memoryview(response.content)
        chunks = (bytes(body[i : i + _CHUNK]) for i in range(0, len(body), _CHUNK))
        where = f"[{self.ctx.source.name}] {response.url}"
        xml = XmlStream(chunks, self.elements, charset=response.charset, where=where)
        try:
            for element in xml:
                yield from self.mapped(element, element_to_dict(element))
        except SourceError as exc:
            if exc.url is None:
                exc.url = response.url
            raise
        yield from decoding_notices(xml.report, response.url)


def decoding_notices(report: DecodeReport, where: str) -> list[Notice]:
    """The repairs the hardened decoder made to a document: removed control characters, an
    encoding label that lied."""
    notices = []
    if report.control_characters:
        removed = report.control_characters
        notices.append(Notice(CONTROL_CHARACTERS, f"{where}: removed {removed} illegal control characters", removed))
    if report.relabelled:
        notices.append(Notice(ENCODING_LABEL, f"{where}: labelled {report.label}, read as {report.read_as}"))
    return notices


__all__ = ["XmlDocumentAdapter", "decoding_notices"]
