"""Walking OParl list pages: ``links.next`` forwards, ``links.prev`` backwards, loop-safe.

A list must end. Pagination stops with a notice (and the run is marked unsafe for
absence-deletes) when a page URL repeats (quirk 34, a page linking to itself), when a page
has the same content as the one before (quirk 33), or when three pages in a row bring no new
ids. A list longer than ``max_pages`` (the source's ``max_pages_per_list``) is cut off with a
``list-limit-pages`` notice: the engine then keeps the list's old state and ends the run
incomplete (``adapters.base.ListBudget``).

Given a ``submit`` function, the walk also fetches ahead: when the first page's links show a
page-number pattern (see :func:`page_number_urls`), the next pages are requested concurrently,
a bounded window ahead. They are still taken strictly in order, and each is used only if it is
exactly the URL the page before links to; on any difference the speculation is dropped and the
walk goes on along ``links.next`` one by one, so every check above sees the same pages.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ris_connector.items import Notice
from ris_connector.normalize.ids import canonical_url, is_url
from ris_connector.notices.engine import LIST_LIMIT_PAGES
from ris_connector.notices.oparl import (
    OPARL_RELATIVE_LINK,
    PAGINATION_BAD_LINK,
    PAGINATION_LOOP,
    PAGINATION_REPEAT,
    PAGINATION_STALE,
    Q2_ARRAY_PAGE,
    Q3_OBJECT_PAGE,
    Q25_LOST_FILTER,
)


@dataclass
class AheadTrust:
    """Pages of one server that were fetched ahead and proved to be the pages its links named.

    A larger window (``ahead_bytes``) is used only after ``needed`` such pages, so a server
    whose links do not follow their page numbers costs at most a small window per list.
    """

    needed: int = 8
    verified: int = 0

    @property
    def earned(self) -> bool:
        return self.verified >= self.needed


@dataclass
class Page:
    """One list page, whatever shape the server sent."""

    url: str
    data: list[Any]
    links: dict[str, str] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    total_pages: int | None = None
    """``pagination.totalPages`` where the server gave a number."""
    size: int = 0
    """Bytes of the response (0 where unknown)."""


def to_page(url: str, payload: Any, expected: str | None) -> Page:
    """A Page from a list response; tolerates ``[]`` (quirk 2) and a bare object (quirk 3)."""
    if isinstance(payload, list):
        notice = Notice(Q2_ARRAY_PAGE, f"{url}: array instead of a list page")
        return Page(url, payload, {}, [notice])
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        notices: list[Notice] = []
        clean = _links(url, payload.get("links"), notices)
        pagination = payload.get("pagination")
        total = pagination.get("totalPages") if isinstance(pagination, dict) else None
        return Page(url, payload["data"], clean, notices, total_pages=total if type(total) is int else None)
    if isinstance(payload, dict) and "id" in payload:
        notice = Notice(Q3_OBJECT_PAGE, f"{url}: a single {expected or 'object'} instead of a list page")
        return Page(url, [payload], {}, [notice])
    raise ValueError("neither a list page, an array nor an object")


#: Links the walk follows; one that is unusable may cut the list short.
_WALKED = ("next", "prev", "last")


def _links(url: str, links: Any, notices: list[Notice]) -> dict[str, str]:
    """The usable links of a page: absolute http(s) URLs (relative ones resolved against ``url``).

    A walked link that is no URL (a number, an object, text that does not parse) is left out
    with a ``pagination-bad-link`` notice: the list may end early, so nothing is deleted for
    absence after this run.
    """
    if not isinstance(links, dict):
        return {}
    clean: dict[str, str] = {}
    for rel, value in links.items():
        if value is None or value == "":
            continue
        target = value.strip() if isinstance(value, str) else None
        if target and not target.lower().startswith(("http://", "https://")):
            try:
                resolved = urljoin(url, target)
            except ValueError:
                resolved = ""
            if rel in _WALKED and is_url(resolved):
                message = f"{url}: links.{rel} {target[:80]!r} is relative; resolved"
                notices.append(Notice(OPARL_RELATIVE_LINK, message))
            target = resolved
        if target and is_url(target):
            clean[str(rel)] = target
        elif rel in _WALKED:
            shown = repr(value)[:80] if isinstance(value, str) else type(value).__name__
            notices.append(Notice(PAGINATION_BAD_LINK, f"{url}: links.{rel} {shown} is no URL; not followed"))
    return clean


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


def page_number_urls(next_url: str, page: Page, max_pages: int) -> list[str]:
    """The URLs of the pages from ``next_url`` to ``links.last`` when they can be predicted.

    They can when ``next_url`` and ``links.last`` differ only in the value of one query
    parameter whose name contains "page", both values are numbers, and ``pagination.totalPages``
    (where given) agrees with the last one. Otherwise ``[]``: the walk follows ``links.next``.
    """
    last = page.links.get("last")
    if not last:
        return []
    if last == next_url:
        return [next_url]
    head_n, _, query_n = next_url.partition("?")
    head_l, _, query_l = last.partition("?")
    params_n, params_l = query_n.split("&"), query_l.split("&")
    if head_n != head_l or len(params_n) != len(params_l):
        return []
    differ = [i for i, (a, b) in enumerate(zip(params_n, params_l, strict=True)) if a != b]
    if len(differ) != 1:
        return []
    i = differ[0]
    name, _, first = params_n[i].partition("=")
    name_l, _, final = params_l[i].partition("=")
    if name != name_l or "page" not in name.lower() or not (first.isdigit() and final.isdigit()):
        return []
    start, end = int(first), int(final)
    if not start < end <= start + max_pages or start not in (1, 2):
        return []
    if page.total_pages is not None and page.total_pages != end + 2 - start:
        return []  # pages counted from 1 (next is 2) or from 0 (next is 1)
    before, after = "&".join(params_n[:i]), "&".join(params_n[i + 1 :])
    return [
        f"{head_n}?{before}{'&' if before else ''}{name}={n}{'&' if after else ''}{after}"
        for n in range(start, end + 1)
    ]


#: Most pages a list requests ahead, however small its pages.
_MAX_WINDOW = 256
#: An answer whose :func:`decoded_estimate` exceeds this many times its byte limit is not decoded.
DECODED_FACTOR = 6


def decoded_estimate(body: bytes) -> int:
    """About the bytes the decoded JSON of ``body`` takes in Python, counted before decoding.

    Containers and strings cost far more than their text (an empty array: 3 bytes of JSON, 80
    in memory; a 6 MB page of them decodes to 230 MB). The weights are the sizes of CPython's
    dict, list and str objects plus a list slot per value; a few byte counts, no copy.
    """
    return len(body) + 200 * body.count(b"{") + 72 * body.count(b"[") + 28 * body.count(b'"') + 16 * body.count(b",")


def decoded_estimate_over(body: bytes, bound: int) -> int | None:
    """:func:`decoded_estimate` of ``body`` if it exceeds ``bound``, else None, counted only as
    far as needed: each byte weighs at most 201 and, once the braces are counted, every other
    byte at most 73, so a page that cannot reach ``bound`` costs one count, not four (the four
    counts took two thirds of the time orjson takes to decode a page)."""
    size = len(body)
    if 201 * size <= bound:
        return None
    braces = body.count(b"{")
    if size + 200 * braces + 72 * (size - braces) <= bound:
        return None
    estimate = decoded_estimate(body)
    return estimate if estimate > bound else None


def _signature(data: list[Any]) -> str:
    """A digest of the page's entries (ids, or what non-objects are), fed entry by entry: a page
    of two million non-objects must not cost a second list of their texts."""
    digest = hashlib.blake2b(digest_size=16)
    for o in data:
        text = str(o.get("id")) if isinstance(o, dict) else repr(o)
        digest.update(text.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


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
        max_pages_setting: str = "max_pages_per_list",
        stale_pages: int = 3,
        submit: Callable[[Callable[[], Any]], Future[Any]] | None = None,
        window: int = 8,
        fetch_later: Callable[[str], Callable[[], Page]] | None = None,
        ahead_bytes: int = 0,
        trust: AheadTrust | None = None,
    ) -> None:
        self._fetch = fetch
        self._submit = submit
        self._fetch_later = fetch_later
        self.window = window
        """Pages requested ahead at most; grown to ``ahead_bytes`` worth of pages the size of the first."""
        self.ahead_bytes = ahead_bytes
        self.trust = trust or AheadTrust()
        self._first_size = 0
        self.speculative_pages = 0
        """Pages fetched ahead and then not used (a list that broke its page-number pattern)."""
        self.filters = dict(filters or {})
        self.max_pages = max_pages
        self.max_pages_setting = max_pages_setting
        self.stale_pages = stale_pages
        self.irregular = False
        self.notices: list[Notice] = []
        self._primed: tuple[deque[str], deque[tuple[str, Future[Any]]]] | None = None
        self._planned: deque[str] | None = None

    @property
    def fully_requested(self) -> bool:
        """Whether every page predicted so far was requested (walking, or primed before the walk)."""
        planned = self._primed[0] if self._primed is not None else self._planned
        return planned is not None and not planned

    def _window(self) -> int:
        """As many pages ahead as ``ahead_bytes`` holds of pages like the first (none if the
        first is larger): up to ``window`` until trust is earned, then up to 256."""
        if self._fetch_later is None or not self.ahead_bytes or not self._first_size:
            return self.window
        fits = self.ahead_bytes // self._first_size
        return min(fits, _MAX_WINDOW) if self.trust.earned else min(fits, self.window)

    def top_up(self) -> None:
        """Request more pages ahead of a primed list if its window has grown (trust was earned)."""
        if self._primed is not None:
            self._ahead(*self._primed)

    def prime(self, first_page: Future[Page]) -> bool:
        """Start fetching ahead from a first page already requested, before the walk begins.

        Lets the next list's pages load while the previous list is still being read. Does
        nothing (False) until ``first_page`` has arrived; the walk checks the pages as usual.
        """
        if self._submit is None or self._primed is not None or self._planned is not None:
            return self._primed is not None
        if not first_page.done() or first_page.cancelled() or first_page.exception() is not None:
            return False
        page = first_page.result()
        self._first_size = page.size
        link = page.links.get("next")
        planned: deque[str] = deque()
        if link:
            link, _ = with_filters(link, self.filters)
            planned.extend(page_number_urls(link, page, self.max_pages))
        ahead: deque[tuple[str, Future[Any]]] = deque()
        self._ahead(planned, ahead)
        self._primed = (planned, ahead)
        return True

    def _stop(self, code: str, message: str) -> None:
        self.irregular = True
        self.notices.append(Notice(code, message))

    def forward(self, first_url: str, first_page: Future[Page] | None = None) -> Iterator[Page]:
        """Pages from ``first_url`` along ``links.next`` (``first_page``: that page, already requested)."""
        yield from self._walk(first_url, "next", first=True, first_page=first_page)

    def backward(self, first_url: str) -> Iterator[Page]:
        """The first page, then pages from ``links.last`` along ``links.prev`` (newest first)."""
        first = self._fetch(first_url, True)
        yield first
        last = first.links.get("last")
        if not last or canonical_url(last) == canonical_url(first.url):
            return
        yield from self._walk(last, "prev", first=False, seen_urls={canonical_url(first.url)})

    def _walk(
        self,
        url: str,
        rel: str,
        *,
        first: bool,
        seen_urls: set[str] | None = None,
        first_page: Future[Page] | None = None,
    ) -> Iterator[Page]:
        ahead: deque[tuple[str, Future[Any]]] = deque([(url, first_page)] if first_page else [])
        planned: deque[str] = deque()
        primed = self._primed is not None and first_page is not None
        if self._primed is not None:
            if primed:
                planned, early = self._primed
                ahead.extend(early)
            else:  # pragma: no cover - primed only with the first page it is walked from
                for _, pending in self._primed[1]:
                    pending.cancel()
            self._primed = None
        self._planned = planned
        try:
            yield from self._pages(url, rel, first, set(seen_urls or ()), ahead, planned, primed)
        finally:
            for _, pending in ahead:
                if not pending.cancel():
                    self.speculative_pages += 1

    def _take(self, url: str, first: bool, ahead: deque[tuple[str, Future[Any]]]) -> Page:
        """The page at ``url``: the one requested ahead if it is that URL, else fetched now."""
        if ahead and ahead[0][0] == url:
            got = ahead.popleft()[1].result()
            if not first:
                self.trust.verified += 1
            return got if isinstance(got, Page) else got()  # a page fetched later is decoded now
        while ahead:  # the list left its pattern: drop what was fetched ahead
            if not ahead.pop()[1].cancel():
                self.speculative_pages += 1
        return self._fetch(url, first)

    def _ahead(self, planned: deque[str], ahead: deque[tuple[str, Future[Any]]]) -> None:
        """Keep up to ``window`` pages of ``planned`` requested ahead."""
        submit = self._submit
        window = self._window()
        while submit is not None and planned and len(ahead) < window:
            target = planned.popleft()
            job = partial(self._fetch_later, target) if self._fetch_later else partial(self._fetch, target, False)
            ahead.append((target, submit(job)))

    def _pages(
        self,
        url: str,
        rel: str,
        first: bool,
        visited: set[str],
        ahead: deque[tuple[str, Future[Any]]],
        planned: deque[str],
        primed: bool,
    ) -> Iterator[Page]:
        seen_ids: set[int] = set()
        previous_signature = None
        stale = 0
        pages = 0
        next_url: str | None = url
        while next_url:
            key = canonical_url(next_url)
            if key in visited:
                self._stop(PAGINATION_LOOP, f"{next_url}: page visited before (link loop); list ends here")
                return
            visited.add(key)
            pages += 1
            if pages > self.max_pages:
                message = f"{url}: more than {self.max_pages} pages ({self.max_pages_setting}); list cut off"
                self.notices.append(Notice(LIST_LIMIT_PAGES, message))
                return
            page = self._take(next_url, first and pages == 1, ahead)
            signature = _signature(page.data)
            if page.data and signature == previous_signature:
                self._stop(PAGINATION_REPEAT, f"{next_url}: same content as the page before; list ends here")
                return
            previous_signature = signature
            ids = _ids(page.data)
            stale = stale + 1 if ids <= seen_ids else 0
            seen_ids |= ids
            if stale >= self.stale_pages:
                self._stop(PAGINATION_STALE, f"{next_url}: {stale} pages without new objects; list ends here")
                return
            link = page.links.get(rel)
            if link and rel == "next":
                link, added = with_filters(link, self.filters)
                if added:
                    self.notices.append(Notice(Q25_LOST_FILTER, f"{page.url}: next link lost its filter"))
                if pages == 1 and self._submit is not None and not primed:
                    self._first_size = page.size
                    planned.extend(page_number_urls(link, page, self.max_pages))
            if ahead and ahead[0][0] != link:
                planned.clear()  # not the predicted page: no more fetching ahead in this list
            self._ahead(planned, ahead)  # before the page is handed on, so fetching overlaps its processing
            yield page
            next_url = link
