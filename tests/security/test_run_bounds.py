"""Promise: a run is bounded in pages and records per list and in wall time.

``max_pages_per_list`` (default 50,000) and ``max_records_per_list`` (1,000,000, embedded
objects included) end a list that goes on: the report warns (``list-limit-pages``/``list-limit-records``, naming the
setting), the list's state is not committed, the run is ``incomplete`` (exit 3) and deletes
nothing. ``max_run_time`` (default 6 h) stops a run at the next item, keeping what it read.
Before, an endless ``next`` chain with fresh ids ran 100,000 pages per list and the run was
"complete". Each setting is validated (exit 2). (Records per calendar feed and occurrences per
rule are the ``ics`` adapter's own bounds, tested with it.) Time and memory of each case:
``bench/hostile_memory.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ris_connector import models
from ris_connector.adapters.sdk import JsonAdapter, JsonObject, PageNumber
from ris_connector.config import source_from_mapping
from ris_connector.store import SQLiteStore
from ris_connector.sync import SyncEngine
from ris_connector.testing import Reply, Request, serve_json
from tests.support.clirun import cli, cli_json, write_config
from tests.support.hostile_oparl import Endless, HostileOParl, Papers, paper


@pytest.fixture
def endless() -> Iterator[HostileOParl]:
    with HostileOParl(Endless(per_page=3)) as server:
        yield server


def _config(tmp_path: Path, url: str, extra: str = "", adapter: str = "oparl") -> Path:
    source = f'[[source]]\nname = "stadt"\nadapter = "{adapter}"\nurl = "{url}"\n{extra}\n'
    return write_config(tmp_path / "sources.toml", tmp_path / "ris.db", source)


def _warning(report: dict[str, object], code: str) -> str:
    warnings = report["warnings"]
    assert isinstance(warnings, list)
    return str(next(w for w in warnings if w["code"] == code)["example"])


def test_an_endless_next_chain_ends_at_max_pages_per_list(endless: HostileOParl, tmp_path: Path) -> None:
    status, report = cli_json("sync", "--config", str(_config(tmp_path, endless.system_url, "max_pages_per_list = 20")))
    assert status == 3 and report["status"] == "incomplete"
    assert endless.pages_served == 20
    assert "more than 20 pages (max_pages_per_list); list cut off" in _warning(report, "list-limit-pages")
    assert "ended early" in report["errors"][0] and "max_pages_per_list" in report["errors"][0]
    assert report["error_classes"] == ["LimitExceeded"]
    with SQLiteStore(tmp_path / "ris.db") as store:
        assert not any(stream.endswith("|paper") for stream in store.stream_states("stadt"))  # read again next run
        assert store.live_counts("stadt")["Paper"] == 60  # what was read is kept


def test_a_cut_list_deletes_nothing(tmp_path: Path) -> None:
    with HostileOParl(Papers()) as server:
        kept = f"{server.base_url}/oparl/paper/old"
        server.papers.objects = [paper(kept)]
        config = _config(tmp_path, server.system_url, "max_pages_per_list = 5")
        assert cli_json("sync", "--config", str(config), "--full")[0] == 0
        server.papers = Endless(per_page=2)  # the old paper is gone, the list never ends
        status, report = cli_json("sync", "--config", str(config), "--full")
    assert status == 3 and report["totals"]["deleted"] == 0
    with SQLiteStore(tmp_path / "ris.db") as store:
        assert store.get_hashes([kept])[kept][1] is False  # not deleted


def test_a_list_with_more_than_max_records_per_list_ends_incomplete(endless: HostileOParl, tmp_path: Path) -> None:
    config = _config(tmp_path, endless.system_url, "max_records_per_list = 10")
    status, report = cli_json("sync", "--config", str(config))
    assert status == 3 and report["status"] == "incomplete"
    assert "more than 10 records in one list (max_records_per_list)" in _warning(report, "list-limit-records")
    assert report["totals"]["created"] == 10  # the Body and 9 papers: the list counts from the last checkpoint
    assert endless.pages_served <= 4  # the adapter ended the list as soon as the engine said so


def test_max_run_time_stops_the_run_at_the_next_item_and_keeps_what_was_read(tmp_path: Path) -> None:
    with HostileOParl(Endless(per_page=2), delay=0.2) as server:
        config = _config(tmp_path, server.system_url, 'max_run_time = "2s"')
        started = time.monotonic()
        status, report = cli_json("sync", "--config", str(config), timeout=60)
        took = time.monotonic() - started
    assert status == 3 and report["status"] == "incomplete"
    assert "run stopped after 2 s (max_run_time)" in report["errors"][0]
    assert took < 30  # an endless list, stopped
    with SQLiteStore(tmp_path / "ris.db") as store:
        assert store.live_counts("stadt").get("Paper", 0) >= 2  # committed before the stop


def test_max_run_time_while_fetching_references_records_nothing_as_missing(tmp_path: Path) -> None:
    """References no list holds are fetched one by one; a run stopped among them neither marks
    the rest missing nor deletes anything."""
    with HostileOParl(Papers(), object_delay=0.4) as server:
        targets = [f"{server.base_url}/oparl/object/{n}" for n in range(20)]
        server.papers.objects = [paper(f"{server.base_url}/oparl/paper/1", relatedPaper=targets)]
        config = _config(tmp_path, server.system_url, 'max_run_time = "2s"')
        status, report = cli_json("sync", "--config", str(config), "--full", timeout=60)
    assert status == 3 and "max_run_time" in report["errors"][0]
    assert report["totals"]["deleted"] == 0
    with SQLiteStore(tmp_path / "ris.db") as store:
        assert store.missing_references("stadt") == []
        assert 1 <= store.live_counts("stadt")["Paper"] < 21  # the list and some references, kept


class _EndlessApi(JsonAdapter):
    """A plugin built on the SDK, reading a page-numbered API that never ends."""

    name = "endless-api"
    type = "Appointment"
    paginator = PageNumber()

    def map(self, item: JsonObject) -> models.Appointment:
        return models.Appointment(id=self.id_of(item), name="Termin", start=self.time(item["start"]), personal=False)


def _endless_api(request: Request) -> Reply:
    n = int(request.query.get("page", "1"))
    items = [{"id": f"{n}-{i}", "start": "2026-02-01T10:00:00"} for i in range(3)]
    return Reply.json({"items": items})


@pytest.mark.parametrize(("bound", "pages"), [({"max_pages_per_list": 4}, 4), ({"max_records_per_list": 7}, 3)])
def test_a_plugin_on_the_sdk_keeps_the_sources_bounds(bound: dict[str, int], pages: int, tmp_path: Path) -> None:
    with serve_json({"/termine": _endless_api}) as server, SQLiteStore(tmp_path / "s.db") as store:
        config = source_from_mapping({"name": "api", "adapter": "endless-api", "url": server.url("/termine"), **bound})
        report = SyncEngine(config, store, adapter_cls=_EndlessApi).run()
        assert server.hits("/termine") == pages
    assert report.status == "incomplete"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("max_pages_per_list = 0", "max_pages_per_list"),
        ("max_records_per_list = -5", "max_records_per_list"),
        ("max_records_per_list = 1e30", "max_records_per_list"),
        ('max_run_time = "forever"', "max_run_time"),
        ("max_run_time = 0", "max_run_time"),
        ("max_run_time = nan", "max_run_time"),
        ("max_batch_bytes = 100", "max_batch_bytes"),
        ("max_page_bytes = 10", "max_page_bytes"),
    ],
)
def test_every_bound_is_validated(line: str, key: str, tmp_path: Path) -> None:
    done = cli("sync", "--config", str(_config(tmp_path, "http://127.0.0.1:9/oparl/system", line)))
    assert done.returncode == 2, done.stderr
    assert key in done.stderr and "Traceback" not in done.stderr
