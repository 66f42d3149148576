"""In-process OParl HTTP server over a generated :class:`Dataset`, with switchable quirk modes.

Example::

    with OParlServer(scale=0.02, quirks={"limit_400"}) as srv:
        requests.get(srv.system_url).json()
        srv.quirks.add("empty_404")
        srv.dataset.update(srv.dataset.ids("Paper")[0], name="Neu")
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

from typing_extensions import Self

from ris_connector.sample.dataset import Dataset, JsonObj
from ris_connector.sample.documents import sample_document
from ris_connector.sample.generator import generate
from ris_connector.sample.views import ALLRIS4_STAMP, ERROR_200, VENDORS, Renderer, check_quirks
from ris_connector.testing.server import LocalServer, Reply, Request

FILTERS = ("modified_since", "modified_until", "created_since", "created_until")
MAX_LIMIT = 1000
EMPTY_404: JsonObj = {
    "error": "Die angeforderte Ressource wurde nicht gefunden.",
    "code": 802,
    "type": "SD.NET RIM Webservice",
}
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Fehler</title></head><body><h1>Es ist ein Fehler "
    b"aufgetreten</h1><p>Die Seite konnte nicht angezeigt werden.</p></body></html>"
)
_FILE_PATH = re.compile(r"^/files/(?:download/)?(\d+)(?:\.\w+|/.+)$")
_ALLRIS4_TS = datetime.fromisoformat(ALLRIS4_STAMP).timestamp()
JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class RequestRecord:
    """One answered request."""

    method: str
    path: str
    query: str
    status: int


@dataclass
class Response:
    """What the handler sends."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE


class QuirkSet(set[str]):
    """A set of quirk names that rejects unknown names (ValueError)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__()
        self.update(names)

    def add(self, name: str) -> None:
        check_quirks({name})
        super().add(name)

    def update(self, *others: Iterable[str]) -> None:
        for other in others:
            items = set(other)
            check_quirks(items)
            super().update(items)


class OParlServer:
    """OParl 1.0/1.1 server on 127.0.0.1 in a daemon thread.

    ``base_url`` is e.g. ``http://127.0.0.1:PORT/oparl/v1.1``; the System is at ``system_url``.
    The dataset is generated on :meth:`start` (or built by ``dataset_factory(base_url)``).
    ``quirks``, ``vendor``, ``latency``, ``slow_seconds`` and ``page_size`` may be changed at runtime.
    """

    def __init__(
        self,
        *,
        version: str = "1.1",
        scale: float = 0.02,
        seed: int = 1,
        quirks: Iterable[str] = (),
        vendor: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 20,
        latency: float = 0.0,
        slow_seconds: float = 5.0,
        now: datetime | None = None,
        dataset_factory: Callable[[str], Dataset] | None = None,
    ) -> None:
        if vendor not in VENDORS:
            raise ValueError(f"unknown vendor {vendor!r}; known: {VENDORS}")
        self.version = version
        self.scale = scale
        self.seed = seed
        self._quirks = QuirkSet(quirks)
        self.vendor = vendor
        self.host = host
        self.port = port
        self.page_size = page_size
        self.latency = latency
        self.slow_seconds = slow_seconds
        self.now = now
        self.dataset_factory = dataset_factory
        self.requests: list[RequestRecord] = []
        self._dataset: Dataset | None = None
        self._http: LocalServer | None = None
        self._seen_pages: set[str] = set()
        self._cache: dict[tuple[Any, ...], list[str]] = {}
        self._log_lock = threading.Lock()
        prefix_root = "/webservice/oparl" if vendor == "sternberg" else "/oparl"
        self.prefix = f"{prefix_root}/v{version}"

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind, generate the dataset, serve in a daemon thread; returns self."""
        if self._http is not None:
            return self
        # Requests before the dataset exists cannot come: nobody knows the port yet.
        http = LocalServer(fallback=self._reply, host=self.host, port=self.port, name="oparl-sample").start()
        self.port = http.port
        base = f"{http.base_url}{self.prefix}"
        if self.dataset_factory is not None:
            self._dataset = self.dataset_factory(base)
        else:
            self._dataset = generate(base, scale=self.scale, version=self.version, seed=self.seed, now=self.now)
        self._http = http
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- attributes --------------------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        """The served dataset (after :meth:`start`)."""
        if self._dataset is None:
            raise RuntimeError("server not started")
        return self._dataset

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/oparl/v1.1`` (after start)."""
        return self.dataset.base_url

    @property
    def system_url(self) -> str:
        """URL of the System object."""
        return self.dataset.system_url

    @property
    def body_url(self) -> str:
        """Id of the (first) Body."""
        return self.dataset.bodies[0]

    def list_url(self, key: str, body: int = 0) -> str:
        """URL of a body list by Body attribute name, e.g. ``list_url("paper")``."""
        return str(self.dataset.get(self.dataset.bodies[body])[key])

    @property
    def quirks(self) -> QuirkSet:
        """Active quirk names (validated)."""
        return self._quirks

    @quirks.setter
    def quirks(self, names: Iterable[str]) -> None:
        self._quirks = QuirkSet(names)

    def reset_log(self) -> None:
        """Forget recorded requests (and which pages ``spurious_500`` already failed)."""
        with self._log_lock:
            self.requests.clear()
            self._seen_pages.clear()

    def record(self, rec: RequestRecord) -> None:
        with self._log_lock:
            self.requests.append(rec)

    # -- request handling --------------------------------------------------------------------------
    def _reply(self, request: Request) -> Reply:
        """The HTTP answer to ``request`` (GET or HEAD), recorded in :attr:`requests`."""
        try:
            resp = self.handle(request.target)
        except Exception as exc:  # a server must answer; report the bug as 500
            resp = Response(500, json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        self.record(RequestRecord(request.method, request.path, request.query_string, resp.status))
        return Reply(resp.status, resp.body, resp.content_type)

    def handle(self, raw: str) -> Response:
        """Answer a GET for ``raw`` (path plus query string)."""
        quirks = frozenset(set(self._quirks))
        if self.latency:
            time.sleep(self.latency)
        if "slow" in quirks:
            time.sleep(self.slow_seconds)
        if "error_200" in quirks:
            return Response(200, json.dumps(ERROR_200).encode())
        path, _, query = raw.partition("?")
        if "no_url_encoding" in quirks and re.search(r"%3a|%2b", query, re.IGNORECASE):
            return Response(404, b"<html><body><h1>404 - File or directory not found.</h1></body></html>", "text/html")
        path = re.sub(r"/{2,}", "/", unquote(path))
        if len(path) > 1:
            path = path.rstrip("/")
        if "https_ids" in quirks and path.startswith("/ris" + self.prefix):
            path = path[4:]
        ds = self.dataset
        with ds.lock:
            r = Renderer(ds, quirks, self.vendor)
            if path in (self.prefix, self.prefix + "/system"):
                return Response(200, r.dumps(r.system()))
            if path == self.prefix + "/bodies":
                if "body_single" in quirks:
                    return Response(200, r.dumps(r.expand(ds.path_of(ds.bodies[0]))))
                return self._list(r, path, query, None)
            if path in ds.list_paths:
                return self._list(r, path, query, ds.list_paths[path])
            local = path[len(self.prefix) :] if path.startswith(self.prefix) else ""
            m = _FILE_PATH.match(local)
            if m:
                return self._content(ds, m.group(1))
            if path in ds.objects:
                return self._object(r, path)
        return Response(404, json.dumps({"error": "Not found", "code": 404, "path": path}).encode())

    def _object(self, r: Renderer, path: str) -> Response:
        obj = r.expand(path)
        payload: Any = obj
        if obj is not None and "id_mismatch" in r.q and "id" in obj:
            obj["id"] = obj["id"] + "?format=json"
        if "membership_array" in r.q and "/memberships/" in path:
            payload = [obj]
        return Response(200, r.dumps(payload))

    def _content(self, ds: Dataset, num: str) -> Response:
        obj = ds.objects.get(f"{ds.prefix}/files/{num}")
        if obj is None or obj.get("deleted"):
            return Response(404, b'{"error":"Not found"}')
        mime = str(obj.get("mimeType", "application/pdf"))
        return Response(200, sample_document(num, str(obj.get("name", "")), mime), mime)

    def _list(self, r: Renderer, path: str, query: str, where: tuple[str, str] | None) -> Response:
        q = r.q
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        key = where[1] if where else "body"
        if "limit" in params and "limit_400" in q:
            return _error(400, "Der Parameter limit wird nicht unterstützt.")
        filters: dict[str, str] = {}
        bounds: dict[str, float] = {}
        for name in FILTERS:
            if name not in params:
                continue
            value = params[name].strip().replace(" ", "+")
            if "no_microseconds" in q and "." in value:
                return _error(400, f"Ungültiges Datumsformat: {value}")
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return _error(400, f"invalid {name}: {params[name]!r}")
            if parsed.tzinfo is None:
                return _error(400, f"{name} needs a timezone offset")
            filters[name] = value
            bounds[name] = parsed.timestamp()
        size = self.page_size
        if "allris4" in q:
            size = 10
        elif "limit_400" in q:
            size = 25
        elif "limit" in params:
            try:
                size = min(max(1, int(params["limit"])), MAX_LIMIT)
            except ValueError:
                return _error(400, "invalid limit")
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            return _error(400, "invalid page")
        paths = self._select(r, path, where, bounds, key)
        if filters and not paths:
            if "empty_404" in q:
                return Response(404, json.dumps(EMPTY_404, ensure_ascii=False).encode())
            if "empty_array" in q:
                return Response(200, b"[]")
        if "spurious_500" in q:
            page_key = f"{path}?{query}"
            if page_key not in self._seen_pages:
                self._seen_pages.add(page_key)
                return Response(500, b'{"error":"Internal Server Error"}')
        if "html_200" in q:
            return Response(200, HTML_ERROR, "text/html; charset=utf-8")
        looping = "same_page_loop" in q and key in ("body", "meeting")
        total_pages = max(1, math.ceil(len(paths) / size))
        shown = paths[:size] if looping else paths[(page - 1) * size : page * size]
        data = [self._item(r, p, key) for p in shown]
        data_clean = [d for d in data if d is not None]
        honoured = "limit" in params and not ("allris4" in q or "limit_400" in q)
        extra = {"limit": str(size)} if honoured else {}
        link_filters = {} if "lost_filter" in q else filters
        self_url = self._page_url(r, path, {**filters, **extra}, page)
        links: dict[str, str] = {
            "first": self._page_url(r, path, {**filters, **extra}, 1),
            "last": self._page_url(r, path, {**filters, **extra}, total_pages),
            "self": self_url,
        }
        if page > 1:
            links["prev"] = self._page_url(r, path, {**filters, **extra}, page - 1)
        if page < total_pages or looping:
            links["next"] = self._page_url(r, path, {**link_filters, **extra}, page + 1)
        elif "next_loop" in q and key == "paper":
            links["next"] = self._page_url(r, path, {**link_filters, **extra}, 1)
        elif "self_link" in q:
            links["next"] = self_url
        payload = {
            "data": data_clean,
            "pagination": {
                "totalElements": len(paths),
                "elementsPerPage": size,
                "currentPage": page,
                "totalPages": total_pages,
            },
            "links": links,
        }
        body = r.dumps(payload)
        if "invalid_json" in q:
            body = body[: max(1, len(body) // 2)] + b'\x00,,"}'
        return Response(200, body)

    def _select(
        self, r: Renderer, path: str, where: tuple[str, str] | None, bounds: dict[str, float], key: str
    ) -> list[str]:
        """Matching object paths in served order (cached per dataset revision)."""
        ds, q = self.dataset, r.q
        allris4 = "allris4" in q
        with_deleted = "modified_since" in bounds or "tombstone_no_type" in q
        cache_key = (path, tuple(sorted(bounds.items())), with_deleted, allris4, ds.revision)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        source = ds.lists[where[0]][where[1]] if where else [ds.path_of(b) for b in ds.bodies]
        if allris4 and "created_since" in bounds:
            out: list[str] = []
        else:
            lo_m = bounds.get("modified_since", -math.inf)
            hi_m = bounds.get("modified_until", math.inf)
            lo_c = bounds.get("created_since", -math.inf)
            hi_c = bounds.get("created_until", math.inf)
            fake = allris4 and key == "paper"
            out = []
            objects, times = ds.objects, ds.times
            for p in source:
                if not with_deleted and objects[p].get("deleted"):
                    continue
                if bounds:
                    created, modified = (_ALLRIS4_TS, _ALLRIS4_TS) if fake else times[p]
                    if not (lo_m <= modified <= hi_m and lo_c <= created <= hi_c):
                        continue
                out.append(p)
        if not allris4:
            out.reverse()
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[cache_key] = out
        return out

    def _item(self, r: Renderer, path: str, key: str) -> JsonObj | None:
        obj = r.expand(path)
        if obj is not None and key == "paper" and "thin_papers" in r.q:
            return r.thin(obj)
        return obj

    def _page_url(self, r: Renderer, path: str, params: dict[str, str], page: int) -> str:
        items = {**params, "page": str(page)} if page > 1 or params else {}
        if not items:
            return self.dataset.id_of(path)
        if "no_url_encoding" in r.q:
            qs = "&".join(f"{k}={quote(v, safe=':+')}" for k, v in items.items())
        else:
            qs = urlencode(items)
        return f"{self.dataset.id_of(path)}?{qs}"


def _error(status: int, message: str) -> Response:
    return Response(status, json.dumps({"error": message, "code": status}, ensure_ascii=False).encode())
