"""Deletes need evidence per list: a list that empties or shrinks beyond its own fraction deletes
nothing and warns; the next run decides again.

In a full run one list answered ``200 {"data": []}`` and every meeting of a source with 100
papers was deleted (the old guard compared with the whole source), each announced as "deleted".
OParl (sample server), iCalendar (``always_full``) and an XML export (``requires_full_run``) are
read over real HTTP on 127.0.0.1 into real SQLite files and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import Store
from ris_connector.sync import RunReport, run_source
from ris_connector.sync.evidence import SIZES_NAMESPACE
from tests.support.clirun import cli, cli_json, write_config
from tests.support.faulty_oparl import clear, inject
from tests.support.ics_server import IcsServer
from tests.support.ristest import FAST_HTTP, OParlFactory, allris3_pages, allris3_source, sync
from tests.support.static_server import Page, StaticServer

SCALE = 0.005
MEETINGS = "/bodies/1/meetings"
#: Agenda items and consultations point at their meetings, so a full run fetches meetings missing
#: from their list one by one and they count as seen. A source whose meetings nothing else points
#: at (or whose budget of individual fetches is spent) has only the list as evidence: that case.
ONLY_LISTS = {"max_individual_fetches": 0}


def live(store: Store, type_name: str, source: str = "test") -> int:
    return sum(1 for _ in store.iter_rows(type_name=type_name, source=source))


def deleted_events(store: Store, report: RunReport) -> list[str]:
    return [e.id for e in store.changes(source=report.source) if e.run_id == report.run_id and e.kind == "deleted"]


def test_an_emptied_list_deletes_nothing_and_says_which_list(oparl_server: OParlFactory, any_store: Store) -> None:
    server = oparl_server(scale=SCALE)
    first = sync(server, any_store, full=True, **ONLY_LISTS)
    meetings = live(any_store, "Meeting")
    assert first.complete and meetings == len(server.dataset.ids("Meeting")) > 20 and live(any_store, "Paper") > 90

    inject(server, MEETINGS, "empty_list")
    glitch = sync(server, any_store, full=True, **ONLY_LISTS)
    assert glitch.status == "complete"
    assert live(any_store, "Meeting") == meetings and deleted_events(any_store, glitch) == []
    withheld = {(w["list"].rsplit("|", 1)[-1], w["type"]): w for w in glitch.withheld_deletes}
    assert withheld[("meeting", "Meeting")] == {
        "list": f"{server.body_url}|meeting",
        "type": "Meeting",
        "last": meetings,
        "now": 0,
        "absent": meetings,
    }
    assert glitch.warnings["list-shrank"]["count"] == len(glitch.withheld_deletes)
    assert "delivered 0" in glitch.warnings["list-shrank"]["example"]

    again = sync(server, any_store, full=True, **ONLY_LISTS)  # still empty: decided again against the same last size
    assert live(any_store, "Meeting") == meetings and again.warnings["list-shrank"]["count"] >= 1

    clear(server)
    back = sync(server, any_store, full=True, **ONLY_LISTS)
    assert "list-shrank" not in back.warnings and back.total("deleted") == 0 and live(any_store, "Meeting") == meetings

    def drop_one(page: dict[str, Any]) -> None:
        page["data"] = [m for m in page["data"] if not m.get("id", "").endswith("/meetings/3")]

    inject(server, MEETINGS, "edit", edit=drop_one)
    real = sync(server, any_store, full=True, **ONLY_LISTS)  # a list that lost one of its meetings: a real delete
    assert deleted_events(any_store, real) == [server.dataset.ids("Meeting")[2]]
    assert "list-shrank" not in real.warnings


def test_a_shrink_beyond_the_fraction_waits_for_a_second_run(oparl_server: OParlFactory, any_store: Store) -> None:
    server = oparl_server(scale=SCALE)
    sync(server, any_store, full=True, **ONLY_LISTS)
    meetings = live(any_store, "Meeting")
    kept = set(server.dataset.ids("Meeting")[:10])

    def keep_ten(page: dict[str, Any]) -> None:
        page["data"] = [m for m in page["data"] if m.get("id") in kept]

    inject(server, MEETINGS, "edit", edit=keep_ten)
    shrunk = sync(server, any_store, full=True, **ONLY_LISTS)
    assert [(w["type"], w["last"], w["now"]) for w in shrunk.withheld_deletes if w["type"] == "Meeting"] == [
        ("Meeting", meetings, 10)
    ]
    assert live(any_store, "Meeting") == meetings and deleted_events(any_store, shrunk) == []

    confirmed = sync(server, any_store, full=True, **ONLY_LISTS)  # the next full run sees the same list: it is real
    assert not [w for w in confirmed.withheld_deletes if w["type"] == "Meeting"]
    assert confirmed.counts["Meeting"]["deleted"] == meetings - 10 and live(any_store, "Meeting") == 10


def test_without_list_sizes_the_type_as_a_whole_is_the_guard(oparl_server: OParlFactory, any_store: Store) -> None:
    """A store written before list sizes were kept: the first full run judges per type."""
    server = oparl_server(scale=SCALE)
    sync(server, any_store, full=True, **ONLY_LISTS)
    meetings = live(any_store, "Meeting")
    any_store.kv_set(SIZES_NAMESPACE, "test", "")  # as after an upgrade: nothing remembered
    inject(server, MEETINGS, "empty_list")
    report = sync(server, any_store, full=True, **ONLY_LISTS)
    assert live(any_store, "Meeting") == meetings and deleted_events(any_store, report) == []
    example = report.warnings["mass-delete-refused"]["example"]
    assert f"{meetings} of {meetings} Meeting records are absent" in example


def test_max_delete_fraction_one_accepts_any_shrink(oparl_server: OParlFactory, any_store: Store) -> None:
    server = oparl_server(scale=SCALE)
    sync(server, any_store, full=True, **ONLY_LISTS)
    meetings = live(any_store, "Meeting")
    inject(server, MEETINGS, "empty_list")
    report = sync(server, any_store, full=True, max_delete_fraction=1.0, **ONLY_LISTS)
    assert report.counts["Meeting"]["deleted"] == meetings and report.withheld_deletes == []


def calendar(n: int) -> str:
    events = [
        f"BEGIN:VEVENT\nUID:s{i}@ris.example.de\nSUMMARY:Sitzung {i}\n"
        f"DTSTART;TZID=Europe/Berlin:202605{1 + i:02d}T170000\nEND:VEVENT"
        for i in range(n)
    ]
    return "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//DE", *events, "END:VCALENDAR"])


@pytest.fixture
def ics() -> Iterator[IcsServer]:
    with IcsServer() as srv:
        yield srv


def test_a_calendar_feed_that_answers_empty_deletes_nothing(ics: IcsServer, any_store: Store) -> None:
    url = ics.put("/rat.ics", calendar(12))
    source = source_from_mapping({"name": "rat", "adapter": "ics", "url": url, "http": FAST_HTTP})
    now = FixedClock(datetime(2026, 4, 20, tzinfo=timezone.utc))
    assert run_source(source, any_store, clock=now).counts["Meeting"]["created"] == 12

    ics.put("/rat.ics", calendar(0))
    empty = run_source(source, any_store, clock=now)
    assert empty.full and empty.status == "complete" and empty.total("deleted") == 0
    assert [(w["list"], w["type"], w["now"]) for w in empty.withheld_deletes] == [("ics", "Meeting", 0)]
    assert live(any_store, "Meeting", "rat") == 12

    ics.put("/rat.ics", calendar(11))
    fewer = run_source(source, any_store, clock=now)
    assert fewer.counts["Meeting"]["deleted"] == 1 and fewer.withheld_deletes == []


def test_an_xml_export_whose_meeting_list_is_empty_deletes_no_meeting(store: Store) -> None:
    server = StaticServer(allris3_pages()).start()
    try:
        source = allris3_source(server.url("/bi/"))
        clock = FixedClock(datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc))
        run_source(source, store, clock=clock)
        meetings = live(store, "Meeting", "musterstadt")
        page = server.pages["/bi/si010.asp"]
        head = page.body[: page.body.index(b"<list>") + len(b"<list>")]
        server.pages["/bi/si010.asp"] = Page(head + b"</list></list-page>", page.content_type)
        report = run_source(source, store, clock=clock)
    finally:
        server.stop()
    assert report.full and report.complete and report.total("deleted") == 0
    assert live(store, "Meeting", "musterstadt") == meetings == 4  # the undated one without its start
    assert ("Meeting", 4, 0) in [(w["type"], w["last"], w["now"]) for w in report.withheld_deletes]
    assert report.withheld_deletes[0]["list"].startswith("xml:")


def test_cli_an_empty_list_is_a_warning_in_the_report_not_a_deletion(
    oparl_server: OParlFactory, tmp_path: Path
) -> None:
    server = oparl_server(scale=SCALE)
    http = "\n".join(f"{k} = {v}" for k, v in FAST_HTTP.items())
    db = tmp_path / "ris.db"
    config = write_config(
        tmp_path / "ris.toml",
        db,
        f'[[source]]\nname = "stadt"\nadapter = "oparl"\nurl = "{server.system_url}"\nmax_individual_fetches = 0\n'
        f"[source.http]\n{http}",
    )
    code, first = cli_json("sync", "--config", str(config), "--full")
    assert code == 0 and first["counts"]["Meeting"]["created"] > 20
    inject(server, MEETINGS, "empty_list")
    code, second = cli_json("sync", "--config", str(config), "--full")
    assert code == 0 and second["status"] == "complete"
    assert second["totals"]["deleted"] == 0
    assert any(w["type"] == "Meeting" and w["now"] == 0 for w in second["withheld_deletes"])
    assert "list-shrank" in {w["code"] for w in second["warnings"]}
    text = cli("sync", "--config", str(config), "--full")
    assert text.returncode == 0 and "deletes withheld: list " in text.stdout and "|meeting has 0 Meeting" in text.stdout
    feed = cli("changes", "--db", str(db))
    assert feed.returncode == 0 and '"kind":"deleted"' not in feed.stdout
