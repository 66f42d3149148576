"""The SDK's declarative JSON source against real servers on 127.0.0.1: paging in every style,
loop safety, incremental filters, date windows, per-item quarantine, object requests, retries."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ris_connector import models
from ris_connector.adapters.sdk import (
    AdapterOptions,
    Checkpoint,
    Cursor,
    DateWindow,
    Get,
    JsonAdapter,
    JsonObject,
    LinkHeader,
    NextLink,
    Notice,
    Offset,
    PageNumber,
    Paginator,
    Rejected,
    Tombstone,
)
from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.errors import InvalidPayload, PaginationLoop
from ris_connector.store import SQLiteStore
from ris_connector.sync import SyncEngine
from ris_connector.testing import Reply, list_api, preview, redirect, sequence, serve_json, status

NOW = datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc)
ITEMS: list[dict[str, Any]] = [
    {"id": n, "title": f"Termin {n}", "start": f"2026-02-0{n}T10:00:00", "modified": f"2026-01-1{n}T09:00:00+00:00"}
    for n in range(1, 6)
]


class Termine(JsonAdapter):
    """Termine of a test API."""

    name = "termine"
    type = "Appointment"
    since_param: ClassVar[str | None] = "modified_since"

    def map(self, item: JsonObject) -> models.Appointment:
        return models.Appointment(
            id=self.id_of(item), name=item["title"], start=self.time(item["start"]), personal=False
        )


def _with(paginator: Paginator, **attrs: Any) -> type[Termine]:
    return type("Paged", (Termine,), {"paginator": paginator, **attrs})


def _ids(items: list[Any]) -> list[str]:
    return [i.id for i in items if isinstance(i, models.Appointment)]


EXPECTED = [f"urn:ris:preview:Appointment:{n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    ("paging", "paginator", "records"),
    [
        ("next", NextLink("next"), "items"),
        ("link", LinkHeader(), "items"),
        ("page", PageNumber(size=2), ""),
        ("offset", Offset(limit=2, total="total"), "items"),
        ("cursor", Cursor(), "items"),
    ],
)
def test_every_paging_style_reads_the_whole_list(paging: str, paginator: Paginator, records: str) -> None:
    cls = _with(paginator, records=records)
    with serve_json({"/termine": list_api(ITEMS, paging=paging, records=records)}) as server:
        items = preview(cls, {"url": server.url("/termine")})
        pages = server.hits("/termine")
    assert _ids(items) == EXPECTED
    assert pages == 3  # 5 items, 2 a page: the short third page is the last
    last = items[-1]
    assert isinstance(last, Checkpoint) and (last.stream, last.type) == ("appointments", "Appointment")


def test_a_next_link_back_to_a_page_read_before_is_a_loop() -> None:
    pages: dict[str | re.Pattern[str], Any] = {
        "/a": {"items": ITEMS[:2], "next": "/b"},
        "/b": {"items": ITEMS[2:4], "next": "/a"},
    }
    with serve_json(pages) as server, pytest.raises(PaginationLoop, match="was asked for before") as caught:
        preview(_with(NextLink()), {"url": server.url("/a")})
    assert caught.value.url is not None and caught.value.url.endswith("/a")


def test_a_server_that_ignores_the_page_parameter_is_a_loop_not_an_endless_run() -> None:
    with serve_json({"/termine": {"items": ITEMS[:2]}}) as server, pytest.raises(PaginationLoop, match="same items"):
        preview(_with(PageNumber(size=2)), {"url": server.url("/termine")})
    assert server.hits("/termine") == 2


def test_a_repeated_cursor_is_a_loop() -> None:
    answer = {"items": ITEMS[:1], "next_cursor": "abc"}  # the same token on every page
    with serve_json({"/termine": answer}) as server, pytest.raises(PaginationLoop):
        preview(_with(Cursor()), {"url": server.url("/termine")})


def test_pages_beyond_max_pages_end_the_run() -> None:
    def endless(request: Any) -> Reply:
        n = int(request.query.get("page", "1"))
        return Reply.json({"items": [{"id": n, "title": "x", "start": "2026-02-01T10:00:00"}]})

    with serve_json({"/termine": endless}) as server, pytest.raises(PaginationLoop, match="more than 5 pages"):
        preview(_with(PageNumber(), max_pages=5), {"url": server.url("/termine")})


def test_an_incremental_run_asks_for_changes_since_the_watermark_minus_the_overlap() -> None:
    state = {"appointments": {"watermark": "2026-01-13T10:00:00+00:00"}}
    with serve_json({"/termine": list_api(ITEMS, page_size=10, since_param="modified_since")}) as server:
        full = preview(Termine, {"url": server.url("/termine")}, state=state)
        incremental = preview(Termine, {"url": server.url("/termine"), "overlap": 3600}, full=False, state=state)
        first = [r.query for r in server.requests]
    assert len(_ids(full)) == 5 and first[0] == {}
    assert first[1] == {"modified_since": "2026-01-13T09:00:00+00:00"}
    assert _ids(incremental) == EXPECTED[2:]  # modified on the 13th 09:00 and later


def test_without_a_filter_the_source_is_read_whole_every_run(tmp_path: Path) -> None:
    class Whole(Termine):
        since_param = None

    assert Whole.requires_full_run(AdapterOptions()) and not Termine.requires_full_run(AdapterOptions())
    with serve_json({"/termine": list_api(ITEMS[:3], page_size=10)}) as server:
        store = SQLiteStore(tmp_path / "t.db")
        config = source_from_mapping({"name": "w", "adapter": "termine", "url": server.url("/termine")})
        SyncEngine(config, store, adapter_cls=Whole, clock=FixedClock(NOW)).run()
        server.routes["/termine"] = list_api(ITEMS[:2], page_size=10)
        report = SyncEngine(config, store, adapter_cls=Whole, clock=FixedClock(NOW)).run()
    assert report.full and report.counts["Appointment"]["deleted"] == 1  # absent from a full run: deleted
    store.close()


def test_modified_field_skips_older_items_in_incremental_runs_only() -> None:
    class Filtered(Termine):
        since_param = None
        modified_field = "modified"

    state = {"appointments": {"watermark": "2026-01-14T09:00:00+00:00"}}
    with serve_json({"/termine": list_api(ITEMS, page_size=10)}) as server:
        assert len(_ids(preview(Filtered, {"url": server.url("/termine")}, state=state))) == 5
        incremental = preview(Filtered, {"url": server.url("/termine"), "overlap": 0}, full=False, state=state)
    assert _ids(incremental) == EXPECTED[3:]


def test_a_calendar_source_asks_for_its_date_window() -> None:
    class Calendar(Termine):
        since_param = None
        window = DateWindow("von", "bis", days_back=7, days_ahead=30)

    state = {"appointments": {"watermark": "2026-01-13T10:00:00+00:00"}}
    clock = FixedClock(NOW)
    with serve_json({"/termine": {"items": []}}) as server:
        preview(Calendar, {"url": server.url("/termine")}, clock=clock)
        preview(Calendar, {"url": server.url("/termine"), "overlap": 3600}, full=False, state=state, clock=clock)
        asked = [r.query for r in server.requests]
    assert asked == [{"von": "2026-01-08", "bis": "2026-02-14"}, {"von": "2026-01-13", "bis": "2026-02-14"}]
    assert not Calendar.requires_full_run(AdapterOptions())


def test_one_bad_item_is_quarantined_with_its_id_and_the_run_goes_on() -> None:
    items = [ITEMS[0], {"id": 2, "start": "2026-02-02T10:00:00"}, {"id": 3, "title": "x", "start": "31.02.2026"}]
    with serve_json({"/termine": {"items": [*items, ITEMS[3]]}}) as server:
        got = preview(Termine, {"url": server.url("/termine")})
    rejected = [i for i in got if isinstance(i, Rejected)]
    assert _ids(got) == [EXPECTED[0], EXPECTED[3]]
    assert [(r.ref, r.type) for r in rejected] == [(EXPECTED[1], "Appointment"), (EXPECTED[2], "Appointment")]
    assert rejected[0].reason == "Appointment 2: KeyError: 'title'" and rejected[0].raw == items[1]
    assert rejected[1].reason.startswith("Appointment 3: start: ") and "(got '31.02.2026')" in rejected[1].reason
    assert isinstance(got[-1], Checkpoint)  # the list was read completely


class Tolerant(Termine):
    """Builds its records with self.record: a refused value costs the value."""

    personal = False

    def map(self, item: JsonObject) -> Any:
        return self.record(id=self.id_of(item), name=item["title"], start=self.time(item["start"]), end=item.get("end"))


def test_record_drops_a_refused_value_with_a_notice_and_keeps_the_record() -> None:
    items = [
        {"id": 1, "title": "Rat", "start": "2026-02-01T10:00", "end": "gegen Abend"},
        {"id": 2, "title": "Rat", "start": "am 31. Februar"},
        {"id": 3, "title": ["not", "text"], "start": "2026-02-01T10:00"},
    ]
    with serve_json({"/termine": {"items": items}}) as server:
        got = preview(Tolerant, {"url": server.url("/termine")})
    notices = [i.message for i in got if isinstance(i, Notice)]
    records = [i for i in got if isinstance(i, models.Appointment)]
    assert [(r.id, r.start is None, r.end is None) for r in records] == [
        (EXPECTED[0], False, True),
        (EXPECTED[1], True, True),
        (EXPECTED[2], False, True),
    ]
    assert [n.split(": ")[1] for n in notices] == ["end", "start", "name"]
    assert "(got 'gegen Abend'); dropped" in notices[0]
    assert not [i for i in got if isinstance(i, Rejected)]


def test_record_refuses_an_unknown_field_and_a_bad_id() -> None:
    class Typo(Termine):
        def map(self, item: JsonObject) -> Any:
            return self.record(id=self.id_of(item), titel=item["title"])

    with serve_json({"/termine": {"items": ITEMS[:1]}}) as server:
        (rejected, _) = preview(Typo, {"url": server.url("/termine")})
    assert (
        isinstance(rejected, Rejected)
        and rejected.reason == "Appointment 1: TypeError: Appointment has no field 'titel'"
    )


def test_personal_items_are_quarantined_without_their_values() -> None:
    class Personal(Termine):
        personal = True

    with serve_json({"/termine": {"items": [{"id": 7, "title": "Erika Mustermann", "start": "kaputt"}]}}) as server:
        (rejected, _checkpoint) = preview(Personal, {"url": server.url("/termine")})
    assert isinstance(rejected, Rejected) and rejected.raw == {"id": 7}
    assert "Mustermann" not in rejected.reason and "kaputt" not in rejected.reason
    assert rejected.reason.startswith("Appointment 7: ")


def test_deleted_items_are_tombstones() -> None:
    with serve_json({"/termine": {"items": [ITEMS[0], {"id": 9, "deleted": True}]}}) as server:
        got = preview(_with(NextLink(), deleted_field="deleted"), {"url": server.url("/termine")})
    assert got[1] == Tombstone("urn:ris:preview:Appointment:9", "Appointment")


def test_items_with_url_ids_keep_them() -> None:
    item = {"id": "https://ris.example.org/termine/5/", "title": "x", "start": "2026-02-01T10:00:00"}
    with serve_json({"/termine": {"items": [item]}}) as server:
        (record, _) = preview(Termine, {"url": server.url("/termine"), "http": {"allowed_hosts": ["ris.example.org"]}})
    assert record.id == "https://ris.example.org/termine/5"


def test_answers_that_are_no_list_fail_the_run_naming_the_url() -> None:
    page = Reply.html()
    with serve_json({"/html": page, "/shape": {"data": []}}) as server:
        with pytest.raises(InvalidPayload, match="an HTML page with HTTP 200 where JSON was expected") as html:
            preview(Termine, {"url": server.url("/html")})
        with pytest.raises(InvalidPayload, match="no list at 'items'"):
            preview(Termine, {"url": server.url("/shape")})
    assert html.value.url == server.url("/html")


def test_transient_faults_are_retried_by_the_core_client() -> None:
    flaky = sequence(status(503), status(429, Retry_After="0"), list_api(ITEMS[:2]))
    with serve_json({"/termine": flaky}) as server:
        got = preview(Termine, {"url": server.url("/termine"), "http": {"backoff_initial": 0.01, "max_attempts": 3}})
    assert _ids(got) == EXPECTED[:2] and server.hits("/termine") == 3


def test_redirects_are_followed_by_the_core_client() -> None:
    with serve_json({"/alt": redirect("/termine"), "/termine": {"items": ITEMS[:1]}}) as server:
        assert _ids(preview(Termine, {"url": server.url("/alt")})) == EXPECTED[:1]


class Process(JsonAdapter):
    """One object per request, as the ZMS plugin reads appointments."""

    type = "Appointment"
    records = None
    id_field = "processId"
    ids: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)

    def requests(self, since: datetime | None) -> Any:
        for pid in self.ids:
            yield Get(self.url("process/"), {"id": str(pid)}, item=pid)

    def map(self, item: JsonObject) -> models.Appointment:
        return models.Appointment(id=self.id_of(item), start=self.time(item["start"]))


def test_object_requests_turn_404_into_a_tombstone_and_other_4xx_into_a_quarantine() -> None:
    answers = {
        "1": Reply.json({"processId": 1, "start": "2026-02-01T10:00:00"}),
        "2": status(404),
        "3": status(400, "authKeyMismatch"),
        "4": Reply.json({"processId": 5, "start": "2026-02-01T10:00:00"}),
    }
    with serve_json({"/api/process/": lambda r: answers[r.query["id"]]}) as server:
        got = preview(Process, {"url": server.url("/api")})
    urn = "urn:ris:preview:Appointment:"
    assert _ids(got) == [f"{urn}1"]
    assert got[1] == Tombstone(f"{urn}2", "Appointment")
    assert got[2] == Rejected("Appointment 3: HTTP 400", {"id": 3}, "Appointment", f"{urn}3")
    assert got[3] == Rejected("Appointment 4: the answer is about another object", {"id": 4}, "Appointment", f"{urn}4")
    assert Process.requires_full_run(AdapterOptions())
