"""``list_api``: a local copy of a paged JSON list API, in the common styles, for adapter tests.

``serve_json({"/events": list_api(items, page_size=2, since_param="modified_since")})`` serves
``items`` the way municipal and RIS APIs page their lists (``paging``):

* ``"next"``: ``{"items": [...], "next": "<url of the next page>" | null}`` (``?page=N`` links);
* ``"link"``: the next page's URL in a ``Link: <url>; rel="next"`` header;
* ``"page"``: the client asks ``?page=N`` (from 1); a short or empty page is the last;
* ``"offset"``: the client asks ``?offset=N&limit=M``; ``"total"`` says how many there are;
* ``"cursor"``: ``{"items": [...], "next_cursor": "<token>" | null}``, asked back as ``?cursor=``.

``since_param`` filters by ``modified`` (ISO text compared as text, as many servers do), so
incremental runs see only what changed. ``records=""`` answers the bare list.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from ris_connector.testing.server import Reply, Request

PAGING = ("next", "link", "page", "offset", "cursor")


def list_api(
    items: Sequence[Any],
    *,
    page_size: int = 2,
    paging: str = "next",
    records: str = "items",
    since_param: str | None = None,
    modified: str = "modified",
    next_key: str = "next",
) -> Callable[[Request], Reply]:
    """A route serving ``items`` page by page (see the module docstring for the styles)."""
    if paging not in PAGING:
        raise ValueError(f"unknown paging {paging!r}; known: {', '.join(PAGING)}")

    def answer(request: Request) -> Reply:
        query = request.query
        since = query.get(since_param) if since_param else None
        chosen = [i for i in items if not since or str(i.get(modified, "")) >= since]
        start, size = _window(paging, query, page_size)
        chunk = chosen[start : start + size]
        more = start + size < len(chosen)
        body: dict[str, Any] = {records: chunk} if records else {}
        headers: dict[str, str] = {}
        nxt = _next_url(request, start + size, size) if more else None
        if paging == "next":
            body[next_key] = nxt
        elif paging == "link" and nxt:
            headers["Link"] = f'<{nxt}>; rel="next"'
        elif paging == "cursor":
            body["next_cursor"] = _token(start + size) if more else None
        elif paging == "offset":
            body["total"] = len(chosen)
        return Reply.json(body if records else chunk, headers=headers)

    return answer


def _window(paging: str, query: dict[str, str], page_size: int) -> tuple[int, int]:
    """(first index, size) the request asks for."""
    if paging == "offset":
        return int(query.get("offset", "0")), int(query.get("limit", str(page_size)))
    if paging == "cursor":
        cursor = query.get("cursor")
        return (int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0), page_size
    return (int(query.get("page", "1")) - 1) * page_size, page_size


def _next_url(request: Request, start: int, size: int) -> str:
    """The URL of the next page: this request's query with its page replaced."""
    query = {k: v for k, v in request.query.items() if k != "page"}
    query["page"] = str(start // size + 1)
    return f"{request.base_url}{request.path}?{urlencode(query)}"


def _token(start: int) -> str:
    return base64.urlsafe_b64encode(str(start).encode()).decode()
