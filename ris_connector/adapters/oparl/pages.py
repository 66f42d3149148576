"""Walking OParl list pages: ``links.next`` forwards, ``links.prev`` backwards, loop-safe.

A list must end. Pagination stops with a notice (and the run is marked unsafe for
absence-deletes) when a page URL repeats (quirk 34, a page linking to itself), when a page
has the same content as the one before (quirk 33), when three pages in a row bring no new
ids, or when ``max_pages`` is reached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ris_connector.adapters.base import Notice
from ris_connector.normalize.ids import canonical_url


@dataclass
class Page:
    """One list page, whatever shape the server sent."""

    url: str
    data: list[Any]
    links: dict[str, str] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)


def to_page(url: str, payload: Any, expected: str | None) -> Page:
    """A Page from a list response; tolerates ``[]`` (quirk 2) and a bare object (quirk 3)."""
    if isinstance(payload, list):
        notice = Notice("oparl-q2-array-page", f"{url}: array instead of a list page")
        return Page(url, payload, {}, [notice])
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        links = payload.get("links") if isinstance(payload.get("links"), dict) else {}
        clean = {k: v for k, v in (links or {}).items() if isinstance(v, str) and v}
        return Page(url, payload["data"], clean)
    if isinstance(payload, dict) and "id" in payload:
        notice = Notice("oparl-q3-object-page", f"{url}: a single {expected or 'object'} instead of a list page")
        return Page(url, [payload], {}, [notice])
    raise ValueError("neither a list page, an array nor an object")


def with_filters(url: str, filters: Mapping[str, str]) -> tuple[str, bool]:
    """``url`` with any of ``filters`` it lost added back (quirk 25); True if something was added."""
    if not filters:
        return url, False
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    missing = [(k, v) for k, v in filters.items() if k not in present]
    if not missing:
        return url, False
    return urlunsplit(parts._replace(query=urlencode(query + missing, safe=":+"))), True


def _signature(data: list[Any]) -> str:
    ids = [str(o.get("id")) if isinstance(o, dict) else repr(o) for o in data]
    return hashlib.blake2b("\n".join(ids).encode(), digest_size=16).hexdigest()


def _ids(data: list[Any]) -> set[int]:
    return {hash(o.get("id")) for o in data if isinstance(o, dict) and isinstance(o.get("id"), str)}


class Paginator:
    """Iterates the pages of one list, with loop detection."""

    def __init__(
        self,
        fetch: Callable[[str, bool], Page],
        *,
        filters: Mapping[str, str] | None = None,
        max_pages: int = 100_000,
        stale_pages: int = 3,
    ) -> None:
        self._fetch = fetch
        self.filters = dict(filters or {})
        self.max_pages = max_pages
        self.stale_pages = stale_pages
        self.irregular = False
        self.notices: list[Notice] = []

    def _stop(self, code: str, message: str) -> None:
        self.irregular = True
        self.notices.append(Notice(code, message))

    def forward(self, first_url: str) -> Iterator[Page]:
        """Pages from ``first_url`` along ``links.next``."""
        yield from self._walk(first_url, "next", first=True)

    def backward(self, first_url: str) -> Iterator[Page]:
        """The first page, then pages from ``links.last`` along ``links.prev`` (newest first)."""
        first = self._fetch(first_url, True)
        yield first
        last = first.links.get("last")
        if not last or canonical_url(last) == canonical_url(first.url):
            return
        yield from self._walk(last, "prev", first=False, seen_urls={canonical_url(first.url)})

    def _walk(self, url: str, rel: str, *, first: bool, seen_urls: set[str] | None = None) -> Iterator[Page]:
        visited = set(seen_urls or ())
        seen_ids: set[int] = set()
        previous_signature = None
        stale = 0
        pages = 0
        next_url: str | None = url
        while next_url:
            key = canonical_url(next_url)
            if key in visited:
                self._stop("pagination-loop", f"{next_url}: page visited before (link loop); list ends here")
                return
            visited.add(key)
            pages += 1
            if pages > self.max_pages:
                self._stop("pagination-limit", f"{url}: more than {self.max_pages} pages; list cut off")
                return
            page = self._fetch(next_url, first and pages == 1)
            signature = _signature(page.data)
            if page.data and signature == previous_signature:
                self._stop("pagination-repeat", f"{next_url}: same content as the page before; list ends here")
                return
            previous_signature = signature
            ids = _ids(page.data)
            stale = stale + 1 if ids <= seen_ids else 0
            seen_ids |= ids
            if stale >= self.stale_pages:
                self._stop("pagination-stale", f"{next_url}: {stale} pages without new objects; list ends here")
                return
            yield page
            link = page.links.get(rel)
            if link and rel == "next":
                link, added = with_filters(link, self.filters)
                if added:
                    self.notices.append(Notice("oparl-q25-lost-filter", f"{page.url}: next link lost its filter"))
            next_url = link
