"""The OParl 1.1 endpoint as a WSGI application (serve it with any WSGI server or mount it).

URLs below the base URL: ``/system``; ``/body`` (the Body list); ``/body/<key>``;
``/body/<key>/<list>`` for the ten external lists (``organization``, ``person``, ``meeting``,
``paper``, ``agendaItem``, ``consultation``, ``file``, ``locationList``,
``legislativeTermList``, ``membership``); every object at ``/<type>/<key>`` (type in lower case,
key a hash of the store id). List pages: ``?page=N&limit=M`` plus the filters; plain pages are
also linked as ``<list>/page/N``, which is what makes the static export work. With a mirror
directory (``files_dir``), mirrored Files are served at ``/file/<key>/access/<name>`` (inline) and
``/file/<key>/download/<name>`` (attachment).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ris_connector.files.blobs import BlobStore
from ris_connector.outputs.oparl.catalogue import BODY_LISTS, PATH_WORD, TYPE_OF_WORD
from ris_connector.outputs.oparl.documents import ACCESS, DOWNLOAD, Document
from ris_connector.outputs.oparl.documents import serve as serve_document
from ris_connector.outputs.oparl.index import Entry, PublishIndex
from ris_connector.outputs.oparl.live import LiveIndex
from ris_connector.outputs.oparl.render import Renderer, Urls
from ris_connector.store import Store, open_store

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FILTERS = ("created_since", "created_until", "modified_since", "modified_until")
_TRUE = {"1", "true", "yes", "on"}

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
JsonResult = tuple[int, dict[str, Any]]


class BadRequest(ValueError):
    """A query parameter the endpoint cannot use (HTTP 400)."""


@dataclass(frozen=True)
class ListQuery:
    """Page, size, filters and ``omit_internal`` of one list request."""

    page: int = 1
    limit: int = DEFAULT_LIMIT
    bounds: tuple[tuple[str, datetime], ...] = ()
    raw_filters: tuple[tuple[str, str], ...] = ()
    limit_given: bool = False
    omit_internal: bool = False

    @property
    def plain(self) -> bool:
        """No filters, no explicit limit, no omit_internal: pages are linked by path."""
        return not self.raw_filters and not self.limit_given and not self.omit_internal

    def admits(self, entry: Entry) -> bool:
        """Whether ``entry`` passes the filters; tombstones only with ``modified_since``."""
        bounds = dict(self.bounds)
        if entry.deleted and "modified_since" not in bounds:
            return False
        checks = {
            "created_since": entry.created >= bounds["created_since"] if "created_since" in bounds else True,
            "created_until": entry.created <= bounds["created_until"] if "created_until" in bounds else True,
            "modified_since": entry.modified >= bounds["modified_since"] if "modified_since" in bounds else True,
            "modified_until": entry.modified <= bounds["modified_until"] if "modified_until" in bounds else True,
        }
        return all(checks.values())

    def params(self, page: int) -> list[tuple[str, str]]:
        """Query parameters of page ``page`` with the same filters."""
        out = list(self.raw_filters)
        if self.limit_given:
            out.append(("limit", str(self.limit)))
        if self.omit_internal:
            out.append(("omit_internal", "true"))
        if page > 1:
            out.append(("page", str(page)))
        return out


def parse_query(query: str, path_page: int | None = None) -> ListQuery:
    """A ListQuery from a query string; BadRequest for unusable values."""
    pairs = parse_qsl(query, keep_blank_values=True)
    values: dict[str, str] = {}
    for key, value in pairs:
        values[key] = value
    page = path_page or 1
    if "page" in values:
        page = _positive(values["page"], "page")
    limit_given = "limit" in values
    limit = min(_positive(values["limit"], "limit"), MAX_LIMIT) if limit_given else DEFAULT_LIMIT
    bounds: list[tuple[str, datetime]] = []
    raw: list[tuple[str, str]] = []
    for name in FILTERS:
        if name in values:
            text = values[name].replace(" ", "+")  # a '+' of the offset sent unencoded
            bounds.append((name, _datetime(text, name)))
            raw.append((name, text))
    omit = values.get("omit_internal", "").lower() in _TRUE
    return ListQuery(page, limit, tuple(bounds), tuple(raw), limit_given, omit)


def _positive(text: str, name: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise BadRequest(f"{name} must be a positive integer, got {text[:40]!r}") from None
    if number < 1:
        raise BadRequest(f"{name} must be a positive integer, got {number}")
    return number


def _datetime(text: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 date-time with offset, got {text[:40]!r}") from None
    if parsed.tzinfo is None:
        raise BadRequest(f"{name} needs a time zone offset, got {text[:40]!r}")
    return parsed


class OParlApp:
    """WSGI application serving a store as an OParl 1.1 endpoint.

    ``base_url`` fixes the URLs in the output; without it they are built from each request
    (scheme, host and the mount point ``SCRIPT_NAME``). ``publisher``: the System facts of the
    configuration's ``[output]`` table (OParl names: ``name``, ``contactEmail``, ``license``...);
    ``system_name`` wins for the name. Thread-safe: each request reads an index that no other
    thread changes meanwhile (:class:`LiveIndex`); the stores are thread-safe.
    """

    def __init__(
        self,
        store: Store,
        *,
        base_url: str | None = None,
        system_name: str | None = None,
        body_names: Mapping[str, str] | None = None,
        owns_store: bool = False,
        files_dir: str | os.PathLike[str] | None = None,
        publisher: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.files = BlobStore(files_dir) if files_dir is not None else None
        self.base_url = base_url.rstrip("/") if base_url else None
        self.system_name = system_name
        self.publisher = dict(publisher or {})
        self.body_names = dict(body_names or {})
        self._owns_store = owns_store
        self.live = LiveIndex(store, body_names=self.body_names, files=self.files)

    def close(self) -> None:
        """Close the store if the app opened it."""
        if self._owns_store:
            self.store.close()

    # --- snapshot ----------------------------------------------------------------
    def index(self) -> PublishIndex:
        """The current index, brought up to date with the store's change feed.

        It changes when a later request applies new changes: a caller that iterates it while other
        threads serve requests uses :meth:`reading` instead.
        """
        return self.live.current()

    @contextmanager
    def reading(self) -> Iterator[PublishIndex]:
        """The current index, brought up to date and unchanged while the block runs.

        Do not answer requests (``get_json``) inside the block: they wait for it.
        """
        self.live.refresh()
        with self.live.reading() as index:
            yield index

    def document(self, path: str) -> tuple[Document, bool] | None:
        """The mirrored copy at ``/file/<key>/{access,download}[/<name>]`` and whether it is an attachment."""
        parts = [p for p in path.split("/") if p]
        if self.files is None or len(parts) not in (3, 4) or parts[0] != PATH_WORD["File"]:
            return None
        if parts[2] not in (ACCESS, DOWNLOAD):
            return None
        with self.reading() as index:
            entry = index.by_url_key(parts[1])
            if entry is None or entry.type != "File" or entry.deleted:
                return None
            doc = index.documents.get(entry.id)
        return (doc, parts[2] == DOWNLOAD) if doc is not None else None

    def url_for(self, record_id: str, base_url: str | None = None) -> str | None:
        """The output URL of a store record (None if it is not published)."""
        base = base_url or self.base_url
        with self.reading() as index:
            entry = index.entry(record_id)
            return Urls(base).object(entry) if entry is not None and base is not None else None

    # --- requests ----------------------------------------------------------------
    def get_json(self, path: str, query: str = "", base_url: str | None = None) -> JsonResult:
        """Answer one GET: (HTTP status, JSON object). Used by the WSGI entry and the static export."""
        base = base_url or self.base_url
        if base is None:
            raise ValueError("no base URL: pass base_url to create_app or to get_json")
        try:
            with self.reading() as index:
                return self._route(index, path, query, base)
        except BadRequest as exc:
            return 400, _error(str(exc))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _send(start_response, 405, _error("only GET and HEAD are supported"), head=False)
        base = self.base_url or _request_base(environ)
        path = environ.get("PATH_INFO", "") or "/"
        if path in ("/", ""):
            start_response("302 Found", [("Location", f"{base}/system"), ("Content-Length", "0")])
            return [b""]
        if self.files is not None and path.startswith(f"/{PATH_WORD['File']}/") and path.count("/") >= 3:
            found = self.document(path)
            if found is None:
                return _send(start_response, 404, _error(f"no mirrored document at {path}"), head=method == "HEAD")
            try:
                return serve_document(environ, start_response, found[0], attachment=found[1])
            except OSError as exc:
                log.warning("cannot read the mirrored copy %s: %s", found[0].sha256, exc)
                return _send(start_response, 404, _error(f"no mirrored document at {path}"), head=method == "HEAD")
        status, payload = self.get_json(path, environ.get("QUERY_STRING", ""), base)
        return _send(start_response, status, payload, head=method == "HEAD")

    def _route(self, index: PublishIndex, path: str, query: str, base: str) -> JsonResult:
        parts = [p for p in path.split("/") if p]
        urls = Urls(base)
        renderer = Renderer(index, self.store, urls, system_name=self.system_name, publisher=self.publisher)
        page_in_path: int | None = None
        if len(parts) >= 2 and parts[-2] == "page":
            page_in_path = _positive(parts[-1], "page")
            parts = parts[:-2]
        if parts == ["system"] and page_in_path is None:
            return 200, renderer.system()
        if parts == ["body"]:
            return self._list(renderer, urls.body_list, index.bodies, parse_query(query, page_in_path))
        if len(parts) == 3 and parts[0] == "body" and parts[2] in BODY_LISTS:
            body = index.by_url_key(parts[1])
            if body is None or body.type != "Body" or body.deleted:
                return 404, _error(f"no body {parts[1]}")
            entries = index.lists.get((body.id, BODY_LISTS[parts[2]]), [])
            return self._list(renderer, urls.body_attr_list(body, parts[2]), entries, parse_query(query, page_in_path))
        if len(parts) == 2 and parts[0] in TYPE_OF_WORD and page_in_path is None:
            entry = index.by_url_key(parts[1])
            if entry is None or entry.type != TYPE_OF_WORD[parts[0]]:
                return 404, _error(f"no {TYPE_OF_WORD[parts[0]]} {parts[1]}")
            omit = parse_query(query).omit_internal
            return 200, renderer.objects([entry], omit_internal=omit)[0]
        return 404, _error(f"no such resource: {path}")

    def _list(self, renderer: Renderer, list_url: str, entries: list[Entry], q: ListQuery) -> JsonResult:
        selected = [e for e in entries if q.admits(e)]
        total_pages = max(1, math.ceil(len(selected) / q.limit))
        if q.page > total_pages:
            return 404, _error(f"page {q.page} does not exist; the list has {total_pages} pages")
        shown = selected[(q.page - 1) * q.limit : q.page * q.limit]

        def link(page: int) -> str:
            if q.plain:
                return list_url if page == 1 else f"{list_url}/page/{page}"
            params = q.params(page)
            return f"{list_url}?{urlencode(params)}" if params else list_url

        links = {"first": link(1), "self": link(q.page), "last": link(total_pages)}
        if q.page > 1:
            links["prev"] = link(q.page - 1)
        if q.page < total_pages:
            links["next"] = link(q.page + 1)
        return 200, {
            "data": renderer.objects(shown, omit_internal=q.omit_internal),
            "pagination": {
                "totalElements": len(selected),
                "elementsPerPage": q.limit,
                "currentPage": q.page,
                "totalPages": total_pages,
            },
            "links": links,
        }


def _error(message: str) -> dict[str, Any]:
    return {"type": "Error", "message": message}


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def encode(payload: Mapping[str, Any]) -> bytes:
    """The JSON bytes the endpoint sends (UTF-8, no BOM)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _send(start_response: StartResponse, status: int, payload: Mapping[str, Any], *, head: bool) -> list[bytes]:
    body = encode(payload)
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Access-Control-Allow-Origin", "*"),
    ]
    start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
    return [b""] if head else [body]


def _request_base(environ: Mapping[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}".rstrip("/")


def create_app(
    store: Store | str,
    *,
    base_url: str | None = None,
    system_name: str | None = None,
    body_names: Mapping[str, str] | None = None,
    files_dir: str | os.PathLike[str] | None = None,
    publisher: Mapping[str, str] | None = None,
) -> OParlApp:
    """The WSGI application for ``store`` (a Store, a SQLite path or a ``postgresql://`` URL).

    ``files_dir``: the document mirror's directory (``ris-connector files --dest``); mirrored Files
    are then served from the output's own URLs. ``publisher``: the System facts of the
    configuration's ``[output]`` table (``OutputConfig.facts()``); ``system_name`` names the System.
    """
    owns = isinstance(store, str)
    opened = open_store(store) if isinstance(store, str) else store
    return OParlApp(
        opened,
        base_url=base_url,
        system_name=system_name,
        body_names=body_names,
        owns_store=owns,
        files_dir=files_dir,
        publisher=publisher,
    )
