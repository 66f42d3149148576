"""The OParl 1.0/1.1 adapter: System, Bodies and every external list, incrementally."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import Field

from ris_connector.adapters.base import (
    Adapter,
    AdapterContext,
    AdapterOptions,
    Checkpoint,
    Item,
    MissingReference,
    Notice,
)
from ris_connector.adapters.oparl.jsondecode import decode_json_repairs
from ris_connector.adapters.oparl.mapper import OParlMapper, is_thin
from ris_connector.adapters.oparl.pages import (
    DECODED_FACTOR,
    AheadTrust,
    Page,
    Paginator,
    decoded_estimate_over,
    to_page,
)
from ris_connector.adapters.oparl.vendors import PROFILES, VendorProfile, detect_vendor
from ris_connector.errors import (
    ConfigError,
    HttpStatusError,
    InvalidPayload,
    LimitExceeded,
    NotFound,
    ResponseTooLarge,
    SourceError,
)
from ris_connector.http import HttpResponse
from ris_connector.normalize.ids import canonical_url, is_url, short_type, type_from_url, type_version, url_id
from ris_connector.normalize.times import format_query_datetime, get_timezone
from ris_connector.notices.oparl import (
    OPARL_BODY_LIST_ALIAS,
    OPARL_JSON_HUGE_INTEGER,
    OPARL_JSON_LONE_SURROGATE,
    OPARL_JSON_NONFINITE,
    OPARL_JSON_NOT_UTF8,
    OPARL_VENDOR,
    PAGINATION_BAD_LIST_URL,
    Q1_EMPTY_ERROR,
    Q7_ARRAY_OBJECT,
    Q12_LIMIT_REJECTED,
    Q13_THIN_OBJECT,
    Q15_UNLISTED_REFERENCE,
    Q16_CONTROL_CHARACTERS,
    Q23_ID_PATH,
    Q28_NEWEST_PAGES,
    Q30_FULL_LIST,
    Q39_ID_MISMATCH,
)

#: Body attribute -> record type of the external list, per OParl version.
LISTS_1_0 = {"organization": "Organization", "person": "Person", "meeting": "Meeting", "paper": "Paper"}
LISTS_1_1 = {
    **LISTS_1_0,
    "membership": "Membership",
    "agendaItem": "AgendaItem",
    "consultation": "Consultation",
    "file": "File",
    "locationList": "Location",
    "legislativeTermList": "LegislativeTerm",
}
#: Body attributes that real servers use for a list instead of the spec's name -> that name.
#: ``consultations`` and ``files`` were seen on a real Somacos Body (OParl 1.1); the other
#: plurals follow the same pattern. Read only when the spec's name is absent.
LIST_ALIASES = {
    "consultations": "consultation",
    "files": "file",
    "organizations": "organization",
    "persons": "person",
    "people": "person",
    "memberships": "membership",
    "meetings": "meeting",
    "agendaItems": "agendaItem",
    "papers": "paper",
    "locations": "locationList",
    "legislativeTerms": "legislativeTermList",
}
_LIST_ORDER = (
    "organization",
    "person",
    "membership",
    "meeting",
    "agendaItem",
    "paper",
    "consultation",
    "file",
    "locationList",
    "legislativeTermList",
)

#: The exact body SD.NET RIM sends with HTTP 404 for an empty filtered list (quirk 1).
_STERNBERG_EMPTY = ("Die angeforderte Ressource wurde nicht gefunden", "Keine Adressen vorhanden")


T = TypeVar("T")
#: Lists after the one being read whose pages may load ahead (see ``ahead_bytes``).
_PRIME_LISTS = 2


@dataclass
class _ListRun:
    """One external list of one Body as this run reads it."""

    stream: str
    body: str
    url: str
    expected: str
    started: datetime
    filters: dict[str, str]
    strategy: str
    first_page: Future[Page] | None = None
    paginator: Paginator | None = None


class OParlOptions(AdapterOptions):
    """Options of the OParl adapter (the System URL is the source's ``url``)."""

    bodies: list[str] | None = None
    """Only sync these Body ids (default: all)."""
    lists: list[str] | None = None
    """Only sync these lists, by Body attribute name (default: all the version has)."""
    vendor: str | None = None
    """Override vendor detection: generic, sternberg, ccegov, ccegov-allris4, somacos, rubin."""
    page_limit: int | None = Field(default=None, ge=1, le=100_000)
    """``limit`` to send on list requests, where the vendor accepts one."""
    max_pages: int | None = Field(default=None, ge=1, le=100_000_000)
    """Pages one list may have; default (and at most): the source's ``max_pages_per_list``."""
    fetch_thin: bool = True
    """Fetch list entries that carry only their id one by one (quirk 13)."""
    concurrency: int | None = Field(default=None, ge=1)
    """Requests in flight at once (lists and pages fetched ahead); default: the source's
    ``http.max_connections``. 1 reads strictly one page after the other. The per-host
    connection cap and rate limit of the HTTP client apply either way."""
    max_page_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, le=2**31)
    """The largest answer (list page, object, System) read and decoded whole; a larger one, or one
    whose JSON structure would decode to more than six times this (empty arrays cost 80 bytes
    each in Python), ends the run incomplete. Bounds the memory of a page (docs/limits.md)."""
    ahead_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    """Response bytes one list may hold fetched ahead of its reader, undecoded (the window is at
    least twice ``concurrency`` pages, at most 256); pages of the next list start loading once
    every page of this one is requested. 0: twice ``concurrency`` pages."""


class OParlAdapter(Adapter[OParlOptions]):
    """Reads an OParl 1.0 or 1.1 endpoint from its System URL."""

    name = "oparl"
    Options = OParlOptions
    description = "OParl 1.0/1.1 JSON API (System URL), tolerant of the known vendor deviations"

    def __init__(self, ctx: AdapterContext, options: OParlOptions) -> None:
        super().__init__(ctx, options)
        self.opts = options
        if not ctx.source.url:
            raise ConfigError(f"source {ctx.source.name!r}: the OParl adapter needs the System URL as url")
        if options.vendor is not None and options.vendor not in PROFILES:
            raise ConfigError(f"unknown vendor {options.vendor!r}; known: {', '.join(PROFILES)}")
        self.system_url = ctx.source.url
        working = urlsplit(self.system_url)
        self.scheme_for = {(working.hostname or "").lower(): working.scheme.lower()}
        self.vendor: VendorProfile = PROFILES[options.vendor] if options.vendor else PROFILES["generic"]
        self.version = "1.1"
        self.normalizer = OParlMapper(
            source=ctx.source.name,
            tz=get_timezone(ctx.source.timezone),
            clock=ctx.clock,
            scheme_for=self.scheme_for,
            keep_raw=ctx.source.keep_raw,
        )
        self._path_map: tuple[str, str] | None = None
        self._send_limit = True
        self._pending_notices: deque[Notice] = deque()
        self.concurrency = options.concurrency or ctx.http.settings.max_connections
        self._pool: ThreadPoolExecutor | None = None
        self._trust = AheadTrust()
        self.reading: str | None = None
        """The URL whose answer is being read (named if the run fails unexpectedly)."""

    # --- HTTP -------------------------------------------------------------------
    def _url(self, url: str) -> str:
        """The URL to request for an id: working scheme, and working path where ids differ (quirk 23)."""
        fixed = canonical_url(url, scheme_for=self.scheme_for)
        if self._path_map and fixed.startswith(self._path_map[0]):
            fixed = self._path_map[1] + fixed[len(self._path_map[0]) :]
        return fixed

    def _get(
        self, url: str, *, listing: bool = False, filters: dict[str, str] | None = None
    ) -> tuple[Any, HttpResponse]:
        kwargs: dict[str, Any] = {}
        if filters:
            if self.vendor.raw_query:
                kwargs["raw_query"] = "&".join(f"{k}={v}" for k, v in filters.items())
            else:
                kwargs["params"] = filters
        accept = (404, 400) if listing else ()
        resp = self._bounded_get(url, accept, **kwargs)
        return self._decode(resp), resp

    def _page_limit(self) -> tuple[int, str]:
        """The byte limit of one answer and the setting it comes from."""
        core = self.ctx.http.settings.max_bytes
        if self.opts.max_page_bytes <= core:
            return self.opts.max_page_bytes, "max_page_bytes"
        return core, "http.max_bytes"

    def _bounded_get(self, url: str, accept: tuple[int, ...], **kwargs: Any) -> HttpResponse:
        """GET within ``max_page_bytes``: a larger answer ends the run with an error naming it."""
        limit, setting = self._page_limit()
        try:
            return self.ctx.http.get(self._url(url), accept_status=accept, max_bytes=limit, **kwargs)
        except ResponseTooLarge as exc:
            raise LimitExceeded(
                f"answer exceeds {limit} bytes ({setting}); the run is incomplete", url=exc.url or url
            ) from None

    def _decode(self, resp: HttpResponse) -> Any:
        """The JSON of a response (a list page answered with 404/400 may be an empty list)."""
        if resp.status in (404, 400):
            text = resp.content.decode("utf-8", errors="replace")
            if any(marker in text for marker in _STERNBERG_EMPTY):
                return {"data": [], "links": {}, "_empty_error": resp.status}
            if resp.status == 404:
                raise NotFound("list not found (HTTP 404)", status=404, url=resp.url, body=resp.content)
            raise HttpStatusError(f"list request rejected (HTTP {resp.status})", status=resp.status, url=resp.url)
        limit, setting = self._page_limit()
        estimate = decoded_estimate_over(resp.content, DECODED_FACTOR * limit)
        if estimate is not None:
            raise LimitExceeded(
                f"answer of {len(resp.content)} bytes would take about {estimate >> 20} MiB decoded, more than "
                f"{DECODED_FACTOR} x {setting} ({limit}); the run is incomplete",
                url=resp.url,
            )
        data, repairs = decode_json_repairs(resp)
        for code, count, what in (
            (Q16_CONTROL_CHARACTERS, repairs.control_characters, "raw control characters in JSON"),
            (OPARL_JSON_NONFINITE, repairs.nonfinite, "NaN, Infinity or overflowing numbers read as null"),
            (OPARL_JSON_HUGE_INTEGER, repairs.huge_integers, "integers of more than 4300 digits read as null"),
            (OPARL_JSON_LONE_SURROGATE, repairs.lone_surrogates, "strings with lone surrogates repaired"),
            (OPARL_JSON_NOT_UTF8, int(repairs.not_utf8), "body that is no UTF-8, read as cp1252"),
        ):
            if count:
                self._pending_notices.append(Notice(code, f"{resp.url}: {count} {what}", count))
        return data

    def _page(self, url: str, expected: str, filters: dict[str, str], first: bool) -> Page:
        params = dict(filters) if first else {}
        if first and self.vendor.page_limit and self._send_limit and "limit" not in params:
            params["limit"] = str(self.vendor.page_limit)
        try:
            payload, resp = self._get(url, listing=True, filters=params or None)
        except HttpStatusError as exc:
            if exc.status != 400 or "limit" not in params:
                raise
            # A server that rejects ``limit`` (SD.NET RIM, quirk 12): ask again without it, from now on.
            self._send_limit = False
            self._pending_notices.append(
                Notice(Q12_LIMIT_REJECTED, f"{url}: limit answered with HTTP 400; sent no more")
            )
            params.pop("limit")
            payload, resp = self._get(url, listing=True, filters=params or None)
        return self._to_page(payload, resp, expected)

    def _page_later(self, url: str, expected: str) -> Callable[[], Page]:
        """Request a later page of a list now; decode it when it is taken (raw bytes wait)."""
        resp = self._bounded_get(url, (404, 400))
        return lambda: self._to_page(self._decode(resp), resp, expected)

    def _to_page(self, payload: Any, resp: HttpResponse, expected: str) -> Page:
        if isinstance(payload, dict) and "_empty_error" in payload:
            page = Page(resp.url, [], {})
            page.notices.append(
                Notice(
                    Q1_EMPTY_ERROR,
                    f"{resp.url}: empty list answered with HTTP {payload['_empty_error']}",
                )
            )
            return page
        try:
            page = to_page(resp.url, payload, expected)
        except ValueError as exc:
            raise InvalidPayload(f"not an OParl list page: {exc}", url=resp.url) from None
        page.size = len(resp.content)
        return page

    def _drain(self) -> Iterator[Notice]:
        """Notices collected while fetching (also by worker threads: a deque pops safely)."""
        while self._pending_notices:
            yield self._pending_notices.popleft()

    def _submit(self, job: Callable[[], T]) -> Future[T]:
        """Run a page request on the worker threads (created on first use)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="oparl-fetch")
        return self._pool.submit(job)

    def close(self) -> None:
        """Stop the worker threads; requests still running end on their own."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # --- fetch ------------------------------------------------------------------
    def fetch(self) -> Iterator[Item]:
        self.reading = self.system_url
        system, resp = self._get(self.system_url)
        yield from self._drain()
        if not isinstance(system, dict) or short_type(system.get("type")) != "System":
            got = short_type(system.get("type")) if isinstance(system, dict) else type(system).__name__
            raise InvalidPayload(f"expected an OParl System object, got {got}", url=resp.url)
        self._learn_system(system, resp.url)
        # The System's own facts (licence, contact, vendor...) are kept for the OParl output.
        has_id = isinstance(system.get("id"), str) and system["id"].strip()
        yield from self.normalizer.items(
            system if has_id else {**system, "id": resp.url}, expected="System", url=resp.url
        )
        yield Notice(OPARL_VENDOR, f"vendor profile {self.vendor.name}, OParl {self.version}")
        for code, message in self.vendor.notes:
            yield Notice(code, message)
        body_url = system.get("body")
        if not isinstance(body_url, str) or not is_url(body_url):
            raise InvalidPayload("System has no body list URL", url=resp.url)
        bodies: list[dict[str, Any]] = []
        paginator = Paginator(lambda u, first: self._page(u, "Body", {}, first), **self._page_bound())
        for page in paginator.forward(body_url):
            self.reading = page.url
            yield from page.notices
            yield from self._drain()
            for obj in page.data:
                yield from self.normalizer.items(obj, expected="Body", url=page.url)
                if isinstance(obj, dict) and obj.get("deleted") is not True and self.normalizer.url_id(obj.get("id")):
                    bodies.append(obj)
            page.data.clear()  # the decoded page is not held while the next one loads
            if self.ctx.list_budget.exhausted:
                break
        yield from paginator.notices
        for body in bodies:
            body_id = self.normalizer.canonical(body["id"])
            if self.opts.bodies is not None and body_id not in {self.normalizer.canonical(b) for b in self.opts.bodies}:
                continue
            yield from self._lists(body, body_id)

    def _learn_system(self, system: dict[str, Any], fetched_url: str) -> None:
        version = type_version(system.get("type")) or ("1.0" if "1.0" in str(system.get("oparlVersion")) else "1.1")
        self.version = version
        if self.opts.vendor is None:
            self.vendor = detect_vendor(system, fetched_url)
        claimed = url_id(system.get("id"), scheme_for=self.scheme_for)  # None: no id, or no URL
        if claimed is not None:
            claimed_c = claimed
            fetched_c = canonical_url(fetched_url, scheme_for=self.scheme_for)
            if claimed_c != fetched_c:
                suffix = _common_suffix(claimed_c, fetched_c)
                if suffix:
                    self._path_map = (
                        claimed_c[: len(claimed_c) - len(suffix)],
                        fetched_c[: len(fetched_c) - len(suffix)],
                    )
                    self._pending_notices.append(
                        Notice(
                            Q23_ID_PATH,
                            f"ids use {self._path_map[0]} while the API is at {self._path_map[1]}",
                        )
                    )

    def _list_urls(self, body: dict[str, Any], body_id: str) -> tuple[dict[str, str], list[Notice]]:
        """Body attribute -> list URL, for the lists this version has; odd names and values noted.

        A list under a name of :data:`LIST_ALIASES` is read as the spec's list when the spec's
        name is absent. A list whose value is no URL is skipped with a ``pagination-`` notice, so
        the run deletes nothing for absence.
        """
        catalogue = LISTS_1_0 if self.version == "1.0" else LISTS_1_1
        notices: list[Notice] = []
        values = {n: body.get(n) for n in _LIST_ORDER if n in catalogue}
        for alias, name in LIST_ALIASES.items():
            if alias in body and name in values and values[name] in (None, ""):
                values[name] = body[alias]
                notices.append(Notice(OPARL_BODY_LIST_ALIAS, f"{body_id}: list {alias!r} read as {name!r}"))
        urls: dict[str, str] = {}
        for name, value in values.items():
            if value is None or value == "":
                continue
            if isinstance(value, str) and is_url(value):
                urls[name] = value
            else:
                shown = repr(value)[:80] if isinstance(value, str) else type(value).__name__
                notices.append(Notice(PAGINATION_BAD_LIST_URL, f"{body_id}: list {name} {shown} is no URL; skipped"))
        return urls, notices

    def _lists(self, body: dict[str, Any], body_id: str) -> Iterator[Item]:
        catalogue = LISTS_1_0 if self.version == "1.0" else LISTS_1_1
        urls, notices = self._list_urls(body, body_id)
        yield from notices
        names = list(urls)
        if self.opts.lists is not None:
            names = [n for n in names if n in self.opts.lists]
        runs = [self._plan(body_id, name, urls[name], catalogue[name]) for name in names]
        for i, run in enumerate(runs):
            # The first pages of the next lists are requested while this one is read.
            for upcoming in runs[i : i + self.concurrency]:
                self._request_first_page(upcoming)
            yield from self._list(run, runs[i + 1 : i + 1 + _PRIME_LISTS])

    def _plan(self, body_id: str, name: str, url: str, expected: str) -> _ListRun:
        """How this run reads one list: full, ``modified_since`` its watermark, or newest pages first."""
        stream = f"{body_id}|{name}"
        started = self.ctx.clock.now()
        since = self.ctx.since(stream)
        filters: dict[str, str] = {}
        strategy = "full"
        if since is not None:
            strategy = self.vendor.incremental
            if strategy == "modified_since":
                filters["modified_since"] = format_query_datetime(since)
        return _ListRun(stream, body_id, url, expected, started, filters, strategy)

    def _request_first_page(self, run: _ListRun) -> None:
        if self.concurrency > 1 and run.first_page is None and run.strategy != "newest_pages":
            run.started = self.ctx.clock.now()  # the watermark is never later than the first request
            run.first_page = self._submit(lambda: self._page(run.url, run.expected, run.filters, True))

    def _paginator(self, run: _ListRun) -> Paginator:
        if run.paginator is None:
            expected, filters = run.expected, run.filters
            ahead = self.concurrency > 1 and run.strategy != "newest_pages"
            run.paginator = Paginator(
                lambda u, first: self._page(u, expected, filters, first),
                filters=filters,
                **self._page_bound(),
                submit=self._submit if ahead else None,
                window=2 * self.concurrency,
                fetch_later=lambda u: self._page_later(u, expected),
                ahead_bytes=self.opts.ahead_bytes,
                trust=self._trust,
            )
        return run.paginator

    def _page_bound(self) -> dict[str, Any]:
        """``max_pages`` of a Paginator: the source's ``max_pages_per_list``, or this adapter's
        ``max_pages`` where smaller, with the name of the setting that bounds."""
        core = self.ctx.list_budget.max_pages
        if self.opts.max_pages is not None and self.opts.max_pages < core:
            return {"max_pages": self.opts.max_pages, "max_pages_setting": "max_pages"}
        return {"max_pages": core, "max_pages_setting": "max_pages_per_list"}

    def _prime(self, waiting: list[_ListRun], tail: Paginator, started: list[_ListRun]) -> Paginator:
        """Let waiting lists start loading, each once every page before it is requested.

        ``tail`` is the last list that loads; returns the new last one (started lists move from
        ``waiting`` to ``started``).
        """
        while waiting and tail.fully_requested:
            run = waiting[0]
            self._request_first_page(run)
            if run.first_page is None or not self._paginator(run).prime(run.first_page):
                break
            started.append(waiting.pop(0))
            tail = self._paginator(run)
        return tail

    def _list(self, run: _ListRun, later: list[_ListRun] | None = None) -> Iterator[Item]:
        url, expected, strategy = run.url, run.expected, run.strategy
        if run.first_page is None:
            run.started = self.ctx.clock.now()
        paginator = tail = self._paginator(run)
        waiting = list(later or [])
        started: list[_ListRun] = []
        if strategy == "newest_pages":
            yield Notice(Q28_NEWEST_PAGES, f"{url}: filters are useless here; paging back from links.last")
        elif strategy == "full" and not self.ctx.full:
            yield Notice(Q30_FULL_LIST, f"{url}: time filters are ignored by this vendor; read in full")
        pages = paginator.backward(url) if strategy == "newest_pages" else paginator.forward(url, run.first_page)
        run.first_page = None
        entries = 0  # the list's size: evidence for absence deletes (embedded copies skipped included)
        for number, page in enumerate(pages):
            self.reading = page.url
            if waiting or tail is not paginator:
                for run_ahead in started:
                    self._paginator(run_ahead).top_up()
                tail = self._prime(waiting, tail, started)
            yield from page.notices
            yield from self._drain()
            all_known = False
            if strategy == "newest_pages" and number > 0 and page.data:
                found = (self.normalizer.url_id(o.get("id")) for o in page.data if isinstance(o, dict))
                ids = [i for i in found if i is not None]
                all_known = len(self.ctx.state.known_ids(ids)) == len(page.data)
            entries += len(page.data)
            for obj in page.data:
                if self.opts.fetch_thin and is_thin(obj) and self.normalizer.url_id(obj["id"]) is not None:
                    yield Notice(Q13_THIN_OBJECT, f"{obj.get('id')}: list entry without content; fetched")
                    yield from self._fetch_object(str(obj["id"]), expected, body_id=run.body)
                    continue
                yield from self.normalizer.items(obj, expected=expected, body=run.body, url=page.url)
            yield from self._drain()
            page.data.clear()  # the decoded page is not held while the next one loads
            if all_known:
                break  # newest first: a page of known objects means the older ones are known too
            if self.ctx.list_budget.exhausted:
                break  # max_records_per_list: the engine takes no more of this list
        yield from paginator.notices
        yield Checkpoint.watermark(run.stream, run.started, type=expected, size=entries, strategy=strategy)

    # --- single objects ---------------------------------------------------------
    def _fetch_object(self, object_id: str, expected: str | None, body_id: str | None) -> Iterator[Item]:
        self.reading = object_id
        data, resp = self._get(object_id)
        yield from self._drain()
        if isinstance(data, list):
            yield Notice(Q7_ARRAY_OBJECT, f"{resp.url}: array instead of an object")
            data = data[0] if data else None
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            claimed = self.normalizer.canonical(data["id"])
            if claimed != self.normalizer.canonical(object_id):
                yield Notice(Q39_ID_MISMATCH, f"{object_id} answered with id {data['id']}")
        yield from self.normalizer.items(
            data,
            expected=expected or type_from_url(object_id),
            body=body_id,
            url=self.normalizer.canonical(object_id),
        )

    def fetch_one(self, record_id: str) -> Iterator[Item]:
        yield Notice(Q15_UNLISTED_REFERENCE, f"{record_id}: referenced but in no list; fetched by itself")
        try:
            yield from self._fetch_object(record_id, type_from_url(record_id), None)
        except NotFound as exc:
            yield MissingReference(record_id, f"HTTP {exc.status}: not found")
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                yield MissingReference(record_id, f"HTTP {exc.status}: not public")
            else:
                raise
        except SourceError as exc:
            if isinstance(exc, InvalidPayload):
                yield MissingReference(record_id, str(exc))
            else:
                raise


def _common_suffix(a: str, b: str) -> str:
    """The longest common ending of two URLs that starts at a path separator."""
    i = 0
    while i < min(len(a), len(b)) and a[-1 - i] == b[-1 - i]:
        i += 1
    suffix = a[len(a) - i :] if i else ""
    cut = suffix.find("/")
    return suffix[cut:] if cut >= 0 else ""
