"""How a JSON list API pages its lists: next link, Link header, page number, offset, cursor.

A paginator is a declaration (a frozen dataclass, shared by every run); it answers two
questions: which request reads the first page, and which the next one, given the page just read.
The loop that asks them (``JsonAdapter``) guards against pagination that never ends: a request
repeated within one list, a page holding exactly the items of the page before (a server that
ignores the page parameter), or more pages than the adapter's ``max_pages`` all raise
:class:`~ris_connector.errors.PaginationLoop`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from ris_connector.http import HttpResponse


@dataclass(frozen=True)
class PageRequest:
    """One page to GET: ``url`` and the query ``params`` to add (None: the URL carries its query)."""

    url: str
    params: Mapping[str, str] | None = None

    @property
    def key(self) -> str:
        """What makes two requests the same (for loop detection)."""
        shown = "&".join(f"{k}={v}" for k, v in sorted((self.params or {}).items()))
        return f"{self.url}?{shown}" if shown else self.url


@dataclass(frozen=True)
class Page:
    """A page that was read: its request, the response, the decoded body and its items."""

    request: PageRequest
    response: HttpResponse
    body: Any
    items: list[Any]


class Paginator(ABC):
    """The paging rule of a list API."""

    def first(self, url: str, params: Mapping[str, str]) -> PageRequest:
        """The request of the first page (``params``: the run's filters)."""
        return PageRequest(url, dict(params) or None)

    @abstractmethod
    def next(self, page: Page) -> PageRequest | None:
        """The request of the page after ``page``, or None after the last page."""


@dataclass(frozen=True)
class SinglePage(Paginator):
    """No paging: the first answer holds the whole list."""

    def next(self, page: Page) -> PageRequest | None:
        return None


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``"links.next"``) in nested dicts; None where it is missing."""
    for part in (p for p in path.split(".") if p):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


@dataclass(frozen=True)
class NextLink(Paginator):
    """Each page names the next page's URL at ``path`` in its body (``"next"``, ``"links.next"``).

    The link carries its own query, so the run's filters are sent with the first request only;
    a relative link is read against the page's URL. An empty or missing link ends the list.
    """

    path: str = "next"

    def next(self, page: Page) -> PageRequest | None:
        link = value_at(page.body, self.path)
        return PageRequest(urljoin(page.response.url, link)) if isinstance(link, str) and link.strip() else None


_LINK_NEXT = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")


@dataclass(frozen=True)
class LinkHeader(Paginator):
    """The next page's URL is in the ``Link`` header (``<url>; rel="next"``, RFC 8288)."""

    rel: str = "next"

    def next(self, page: Page) -> PageRequest | None:
        header = page.response.headers.get("link") or page.response.headers.get("Link") or ""
        for target, params in _LINK_NEXT.findall(header):
            rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', params)
            if any(self.rel in r.split() for r in rels):
                return PageRequest(urljoin(page.response.url, target))
        return None


@dataclass(frozen=True)
class PageNumber(Paginator):
    """Pages are asked by number (``?page=1``, ``?page=2``...): an empty page, or one shorter
    than ``size``, is the last. ``size_param`` sends ``size`` as the page size."""

    param: str = "page"
    start: int = 1
    size: int | None = None
    size_param: str | None = None

    def first(self, url: str, params: Mapping[str, str]) -> PageRequest:
        return PageRequest(url, self._params(params, self.start))

    def next(self, page: Page) -> PageRequest | None:
        if not page.items or (self.size is not None and len(page.items) < self.size):
            return None
        params = dict(page.request.params or {})
        return PageRequest(page.request.url, self._params(params, int(params[self.param]) + 1))

    def _params(self, params: Mapping[str, str], number: int) -> dict[str, str]:
        extra = {self.size_param: str(self.size)} if self.size_param and self.size else {}
        return {**params, **extra, self.param: str(number)}


@dataclass(frozen=True)
class Offset(Paginator):
    """Pages are asked by offset and limit (``?offset=0&limit=100``). The list ends with an empty
    or short page, or, where the body says how many there are (``total`` path), at that count."""

    param: str = "offset"
    limit_param: str = "limit"
    limit: int = 100
    total: str | None = None

    def first(self, url: str, params: Mapping[str, str]) -> PageRequest:
        return PageRequest(url, {**params, self.param: "0", self.limit_param: str(self.limit)})

    def next(self, page: Page) -> PageRequest | None:
        if len(page.items) < self.limit:
            return None
        params = dict(page.request.params or {})
        offset = int(params[self.param]) + len(page.items)
        total = value_at(page.body, self.total) if self.total else None
        if isinstance(total, int) and not isinstance(total, bool) and offset >= total:
            return None
        return PageRequest(page.request.url, {**params, self.param: str(offset)})


@dataclass(frozen=True)
class Cursor(Paginator):
    """Each page holds an opaque token for the next (at ``path``), sent back as ``param``.
    A missing or empty token ends the list; a token seen before is a loop."""

    param: str = "cursor"
    path: str = "next_cursor"
    keep: bool = field(default=True)
    """Send the run's filters with every page (False: the token alone)."""

    def next(self, page: Page) -> PageRequest | None:
        token = value_at(page.body, self.path)
        if token is None or token == "" or isinstance(token, (dict, list, bool)):
            return None
        base = dict(page.request.params or {}) if self.keep else {}
        return PageRequest(page.request.url, {**base, self.param: str(token)})
