"""Fetching lists and pages ahead on worker threads changes nothing but the wall time.

A real OParl server on 127.0.0.1 with small pages (many pages per list) is synced with
``concurrency`` 4 and 1 into real SQLite files: the stored records, the requests sent, the
pagination quirk handling and the place of each list's checkpoint must be the same, and no
more than ``concurrency`` requests may be in flight at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ris_connector.adapters.base import AdapterContext, Checkpoint, Item, SourceSettings
from ris_connector.adapters.oparl.adapter import LISTS_1_1, OParlAdapter, OParlOptions
from ris_connector.adapters.oparl.pages import Page, page_number_urls
from ris_connector.clock import SystemClock
from ris_connector.http import HttpClient, HttpResponse
from ris_connector.models import Record
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.sync import RunReport
from ris_connector.sync.engine import SyncEngine
from tests.support.ristest import oparl_source

LIST = "https://ris.example.org/oparl/body/1/paper"


class CountingClient(HttpClient):
    """The real client, counting how many requests are in flight at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0
        self.most_in_flight = 0
        self._count_lock = threading.Lock()

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        with self._count_lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return super().get(url, **kwargs)
        finally:
            with self._count_lock:
                self.in_flight -= 1


class NoState:
    """Adapter state of a first run: no watermarks, no known ids."""

    def stream_state(self, stream: str) -> Mapping[str, Any] | None:
        return None

    def known_ids(self, ids: Any) -> set[str]:
        return set()


def _adapter(server: OParlServer, http: HttpClient, options: OParlOptions) -> OParlAdapter:
    ctx = AdapterContext(SourceSettings(name="t", url=server.system_url), http, SystemClock(), NoState())
    return OParlAdapter(ctx, options)


def _sync(server: OParlServer, path: Path, concurrency: int) -> tuple[RunReport, CountingClient, dict[str, str]]:
    config = oparl_source(server.system_url, options={"concurrency": concurrency})
    http = CountingClient(server.system_url, config.http, source=config.name)
    with SQLiteStore(path) as store:
        report = SyncEngine(config, store, http=http).run(full=True)
        rows = {row.id: row.hash for row in store.iter_rows()}
    http.close()
    return report, http, rows


def test_concurrent_run_stores_the_same_records_with_the_same_requests(tmp_path: Path) -> None:
    server = OParlServer(scale=0.01, page_size=5).start()
    try:
        server.latency = 0.01
        ahead, ahead_http, ahead_rows = _sync(server, tmp_path / "ahead.db", 4)
        one, one_http, one_rows = _sync(server, tmp_path / "one.db", 1)
    finally:
        server.stop()
    assert ahead.complete and one.complete
    assert ahead_rows == one_rows and len(one_rows) > 300
    assert ahead.requests == one.requests > 100  # pages fetched ahead were all used
    assert one_http.most_in_flight == 1
    assert 1 < ahead_http.most_in_flight <= 4


def test_pagination_loops_end_the_same_way_when_fetching_ahead(tmp_path: Path) -> None:
    for quirk, code in (("same_page_loop", "pagination-repeat"), ("next_loop", "pagination-loop")):
        server = OParlServer(scale=0.01, page_size=5, quirks=[quirk]).start()
        try:
            ahead, _, ahead_rows = _sync(server, tmp_path / f"{quirk}-ahead.db", 4)
            one, _, one_rows = _sync(server, tmp_path / f"{quirk}-one.db", 1)
        finally:
            server.stop()
        assert ahead.complete and code in ahead.warnings and "no-absence-deletes" in ahead.warnings, quirk
        assert ahead_rows == one_rows, quirk
        assert ahead.requests <= one.requests + 8 * 2, quirk  # at most one window fetched in vain per list


def test_each_checkpoint_follows_all_records_of_its_list(tmp_path: Path) -> None:
    server = OParlServer(scale=0.01, page_size=5).start()
    try:
        config = oparl_source(server.system_url)
        with HttpClient(server.system_url, config.http) as http:
            adapter = _adapter(server, http, OParlOptions(concurrency=4))
            items: list[Item] = list(adapter.fetch())
            adapter.close()
    finally:
        server.stop()
    positions = {item.stream.split("|")[1]: i for i, item in enumerate(items) if isinstance(item, Checkpoint)}
    assert set(positions) == set(LISTS_1_1)
    for name, type_name in LISTS_1_1.items():
        last = max(i for i, item in enumerate(items) if isinstance(item, Record) and item.type == type_name)
        assert last < positions[name], name


def _page(next_url: str, last: str, total: int | None) -> Page:
    return Page(LIST, [], {"next": next_url, "last": last}, total_pages=total)


def test_page_number_pattern() -> None:
    urls = page_number_urls(f"{LIST}?page=2&limit=5", _page(f"{LIST}?page=2&limit=5", f"{LIST}?page=4&limit=5", 4), 99)
    assert urls == [f"{LIST}?page=2&limit=5", f"{LIST}?page=3&limit=5", f"{LIST}?page=4&limit=5"]
    # counted from 0: next is page 1, totalPages is last + 1
    assert len(page_number_urls(f"{LIST}?p=1", _page(f"{LIST}?p=1", f"{LIST}?p=3", None), 99)) == 0  # not "page"
    assert len(page_number_urls(f"{LIST}?page=1", _page(f"{LIST}?page=1", f"{LIST}?page=3", 4), 99)) == 3


def test_no_pattern_means_following_next_links() -> None:
    nxt = f"{LIST}?page=2"
    assert page_number_urls(nxt, _page(nxt, f"{LIST}?page=9", 12), 99) == []  # totalPages disagrees
    assert page_number_urls(nxt, _page(nxt, f"{LIST}?page=9&x=1", None), 99) == []  # another parameter differs
    assert page_number_urls(nxt, _page(nxt, f"{LIST}?cursor=abc", None), 99) == []  # not a number
    assert page_number_urls(nxt, _page(nxt, f"{LIST}?page=900", None), 99) == []  # more than max_pages
    assert page_number_urls(nxt, Page(LIST, [], {"next": nxt}), 99) == []  # no links.last


def _requests_for_next_list_while_paused(
    ahead_bytes: int, name: str = "agendaitems", expect: int = 2
) -> tuple[int, int]:
    """Read lists until the meeting list's checkpoint, pause there, count requests of list ``name``.

    The pause lasts until ``expect`` requests of that list were made (at most 30 s, so a loaded
    machine cannot fail the test by being slow) and then half a second more, so that a window
    that should stop the workers has had the time to be overrun if it did not.
    """
    server = OParlServer(scale=0.01, page_size=5).start()
    try:
        config = oparl_source(server.system_url)
        with CountingClient(server.system_url, config.http, source="t") as http:
            urls: list[str] = []
            original = http.get

            def logging_get(url: str, **kwargs: Any) -> HttpResponse:
                urls.append(url)
                return original(url, **kwargs)

            http.get = logging_get  # type: ignore[method-assign]
            adapter = _adapter(server, http, OParlOptions(concurrency=4, ahead_bytes=ahead_bytes))
            items = adapter.fetch()
            for item in items:
                if isinstance(item, Checkpoint) and item.stream.endswith("|meeting"):
                    break
            deadline = time.monotonic() + 30.0  # a slow reader: the worker threads go on meanwhile
            while sum(1 for u in list(urls) if f"/{name}" in u) < expect and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.5)
            early = sum(1 for u in list(urls) if f"/{name}" in u)
            rest = list(items)
            adapter.close()
            total = sum(1 for u in urls if f"/{name}" in u)
    finally:
        server.stop()
    assert any(isinstance(i, Checkpoint) and i.stream.endswith("|agendaItem") for i in rest)
    return early, total


def test_next_list_loads_while_the_one_before_is_read() -> None:
    """A trusted server's next list loads during the one before: ``ahead_bytes`` worth, else 2 x concurrency pages."""
    early, total = _requests_for_next_list_while_paused(8 * 1024 * 1024, expect=21)
    assert total > 50  # the agenda item list has many pages
    assert early > 20  # requested (and waiting undecoded) before its reader got there
    early_small, total_small = _requests_for_next_list_while_paused(0)
    assert total_small == total  # the same pages in the end
    assert 1 < early_small <= 1 + 2 * 4  # its first page and a window of twice the concurrency


def test_the_list_after_next_loads_once_the_next_is_fully_requested() -> None:
    """Agenda items (next) fit in the window, so papers (after next) start loading as well."""
    early, total = _requests_for_next_list_while_paused(8 * 1024 * 1024, "papers", expect=11)
    assert total > 20
    assert early > 10  # more than the first page, which is requested for the next lists anyway
