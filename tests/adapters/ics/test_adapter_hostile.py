"""No crash and no endless run from an iCalendar feed; every bound has a setting and an error.

The hostile feeds of issues 13 and 14 run through ``ris-connector sync`` in a child process
(killed after a generous 60 s, its address space capped at 1.5 GB), served by a real HTTP
server, into a real SQLite file. Before this change the SECONDLY rule ran for ever, the
per-second VTIMEZONE grew memory without end, the year-1 date ended the run with a traceback
and lost the feed's good events, and the 250 KB hourly feed made 2 million meetings.

The cost of a rule is checked by its step count (``rrule.expand``), not by a clock: the same
for a DTSTART in 2025 or in the year 1, for a rule every second or every year.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ris_connector.adapters.ics.rrule import expand, parse_rule
from ris_connector.store import SQLiteStore
from tests.support.ics_feeds import GOOD_EVENTS, HOSTILE, calendar, hourly_rules, stored, sync_ics, warned
from tests.support.ics_server import IcsServer
from tests.support.measured import Measured, cli, run_measured

LIMIT_S = 60.0
MEMORY_MB = 1536


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with IcsServer() as srv:
        yield srv


def sync_cli(tmp_path: Path, url: str, **options: Any) -> tuple[Measured, dict[str, Any]]:
    """``ris-connector sync --config ... --json`` of one ics source in a child process."""
    lines = [f'db = "{tmp_path / "ris.db"}"', "[[source]]", 'name = "stadt"', 'adapter = "ics"', f'url = "{url}"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in options.items()]
    lines += ["[source.http]", "rate_limit = 0", "backoff_initial = 0.01", "backoff_max = 0.05"]
    config = tmp_path / "ris.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_measured(cli("sync", "--config", str(config), "--json"), timeout=LIMIT_S, memory_mb=MEMORY_MB)
    assert not result.timed_out, f"still running after {LIMIT_S} s"
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def meetings(tmp_path: Path) -> dict[str, dict[str, Any]]:
    store = SQLiteStore(tmp_path / "ris.db")
    try:
        return stored(store, "Meeting")
    finally:
        store.close()


def codes(report: dict[str, Any]) -> dict[str, int]:
    return {w["code"]: w["count"] for w in report["warnings"]}


# --- the four cases of the issues -----------------------------------------------------------


def test_secondly_rule_from_2000_ends_with_max_occurrences(server: IcsServer, tmp_path: Path) -> None:
    result, report = sync_cli(tmp_path, server.put("/s.ics", HOSTILE["secondly-from-2000"]()))
    assert result.returncode == 0 and report["status"] == "complete"
    stored_meetings = meetings(tmp_path)
    assert {"urn:ris:stadt:Meeting:gut-1", "urn:ris:stadt:Meeting:gut-2"} <= set(stored_meetings)
    seconds = [k for k in stored_meetings if k.startswith("urn:ris:stadt:Meeting:jede-sekunde/")]
    assert len(seconds) == 1000  # max_occurrences, from the window's start on
    assert codes(report)["ics-recurrence-truncated"] == 1
    assert "jede-sekunde" in next(w["example"] for w in report["warnings"] if w["code"] == "ics-recurrence-truncated")


def test_vtimezone_repeating_every_second_is_refused(server: IcsServer, tmp_path: Path) -> None:
    result, report = sync_cli(tmp_path, server.put("/z.ics", HOSTILE["per-second-vtimezone"]()))
    assert result.returncode == 0
    assert codes(report)["ics-vtimezone-too-costly"] == 1
    # no zone of that name exists: read in the source's time zone, with a notice
    assert meetings(tmp_path)["urn:ris:stadt:Meeting:zone-ereignis"]["start"] == "2026-06-12T17:00:00+02:00"
    assert codes(report)["ics-unknown-tzid"] == 1


@pytest.mark.parametrize(
    "start",
    ["DTSTART:00010101T000000", "DTSTART:99991231T235959Z", "DTSTART;VALUE=DATE:00000000", "DTSTART:00000000T000000"],
)
def test_date_in_year_1_9999_or_0_costs_that_event_only(server: IcsServer, tmp_path: Path, start: str) -> None:
    good = [f"BEGIN:VEVENT\nUID:g{i}\nDTSTART:202606{10 + i % 10}T170000\nSUMMARY:G{i}\nEND:VEVENT" for i in range(25)]
    bad = f"BEGIN:VEVENT\nUID:kaputt\n{start}\nSUMMARY:Kaputt\nEND:VEVENT"
    result, report = sync_cli(tmp_path, server.put("/y.ics", calendar(bad, *good)))
    assert result.returncode == 0 and report["status"] == "complete"
    assert report["counts"]["Meeting"]["created"] == 25 and report["counts"]["Meeting"]["quarantined"] == 1
    store = SQLiteStore(tmp_path / "ris.db")
    try:
        (rejected,) = store.quarantined()
    finally:
        store.close()
    assert rejected["ref"] == "urn:ris:stadt:Meeting:kaputt" and "DTSTART" in rejected["reason"]


def test_year_1_in_other_values_costs_that_value(server: IcsServer, store: SQLiteStore) -> None:
    events = [
        "BEGIN:VEVENT\nUID:ende\nDTSTART:20260610T170000\nDTEND:99991231T235959Z\nSUMMARY:A\nEND:VEVENT",
        "BEGIN:VEVENT\nUID:serie\nDTSTART:00010101T100000\nRRULE:FREQ=YEARLY;UNTIL=99991231T000000Z\n"
        "DURATION:PT1H\nEXDATE:00010101T100000\nRDATE:00020101T100000\nSUMMARY:B\nEND:VEVENT",
        "BEGIN:VEVENT\nUID:woche\nDTSTART:20260601T100000\nRRULE:FREQ=WEEKLY;UNTIL=00010101T000000Z\nSUMMARY:C\nEND:VEVENT",
    ]
    report = sync_ics(server.put("/v.ics", calendar(*events)), store)
    assert report.status == "complete" and report.counts["Meeting"]["quarantined"] == 0
    found = stored(store, "Meeting")
    assert "end" not in found["urn:ris:stadt:Meeting:ende"]
    series = sorted(k for k in found if k.startswith("urn:ris:stadt:Meeting:serie/"))
    assert series == [f"urn:ris:stadt:Meeting:serie/{y}0101T090000Z" for y in (2026, 2027, 2028)]
    assert found[series[0]]["end"] == "2026-01-01T11:00:00+01:00"
    assert not [k for k in found if "woche" in k], "UNTIL in the year 1: the rule ended long ago"
    assert warned(report, "ics-bad-dtend") == 1 and warned(report, "ics-bad-recurrence-date") == 2


def test_250kb_of_hourly_rules_stops_at_max_records(server: IcsServer, tmp_path: Path) -> None:
    """Issue 14: a 250 KB feed of hourly rules made 2 million meetings and a 2 GB database."""
    url = server.put("/h.ics", HOSTILE["hourly-rules-250kb"]())
    result, report = sync_cli(tmp_path, url)
    assert result.returncode == 3 and report["status"] == "incomplete"
    assert report["counts"]["Meeting"]["created"] == 50_000
    assert "max_records" in report["errors"][0] and "stadt" in report["errors"][0]
    assert "urn:ris:stadt:Meeting:stuendlich-50/" in report["errors"][0], "names the event it stopped at"
    assert codes(report)["ics-max-records"] == 1
    assert (tmp_path / "ris.db").stat().st_size < 200 * 1024 * 1024
    assert result.peak_rss_mb < 400


# --- rules that never end in dateutil -------------------------------------------------------

ENDLESS = [
    "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",  # no such day: dateutil walks to the year 9999
    "FREQ=SECONDLY;BYSETPOS=2",  # no period has a second candidate: dateutil never returns
    "FREQ=DAILY;COUNT=500000000;BYDAY=MO",  # from the year 1, with a count and a filter
    "FREQ=MINUTELY;INTERVAL=7;BYHOUR=25",  # unreadable: BYHOUR out of range
    "FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYHOUR=0,6,12,18;BYMINUTE=0,15,30,45;BYSECOND=0,30",
    # every second of every day of a year in one period: 31 million candidates at once
    "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR="
    + ",".join(map(str, range(24)))
    + ";BYMINUTE="
    + ",".join(map(str, range(60)))
    + ";BYSECOND="
    + ",".join(map(str, range(60))),
]


def test_rules_that_never_end_in_dateutil_end_here(server: IcsServer, tmp_path: Path) -> None:
    events = [
        f"BEGIN:VEVENT\nUID:r{i}\nDTSTART:{'20260610' if i == 3 else '00010101'}T100000\nRRULE:{rule}\nEND:VEVENT"
        for i, rule in enumerate(ENDLESS)
    ]
    result, report = sync_cli(tmp_path, server.put("/r.ics", calendar(GOOD_EVENTS, *events)))
    assert result.returncode == 0 and report["counts"]["Meeting"]["quarantined"] == 0
    warnings = codes(report)
    assert warnings["ics-recurrence-too-costly"] == 3 and warnings["ics-bad-rrule"] == 1
    found = meetings(tmp_path)
    assert "urn:ris:stadt:Meeting:r3" in found, "an unreadable RRULE leaves the event at DTSTART"
    assert len([k for k in found if k.startswith("urn:ris:stadt:Meeting:r4/")]) == 1000


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=MINUTELY;INTERVAL=13",
        "FREQ=HOURLY;BYMINUTE=0,30",
        "FREQ=DAILY;BYHOUR=9,17",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;COUNT=100000000",
    ],
)
def test_expansion_work_does_not_depend_on_dtstart(rule: str) -> None:
    lower, upper = datetime(2025, 6, 1), datetime(2028, 6, 1)
    works = {}
    for year in (2025, 2000, 1900, 1601, 1):
        found = expand(parse_rule(rule), datetime(year, 1, 1, 10), lower, upper, limit=1000, max_work=10**9)
        works[year] = found.work
        assert found.cut in (None, "limit")
    assert max(works.values()) - min(works.values()) <= 2, works


# --- bounds and their settings ----------------------------------------------------------------


def test_max_records_keeps_what_was_read_and_deletes_nothing(server: IcsServer, tmp_path: Path) -> None:
    url = server.put("/b.ics", calendar(GOOD_EVENTS))
    result, _ = sync_cli(tmp_path, url, max_records=10)
    assert result.returncode == 0
    server.put("/b.ics", calendar(*(f"BEGIN:VEVENT\nUID:n{i}\nDTSTART:20260620T100000\nEND:VEVENT" for i in range(30))))
    result, report = sync_cli(tmp_path, url, max_records=10)
    assert result.returncode == 3 and report["counts"]["Meeting"]["created"] == 10
    assert report["counts"]["Meeting"]["deleted"] == 0, "an incomplete run deletes nothing"
    assert {"urn:ris:stadt:Meeting:gut-1", "urn:ris:stadt:Meeting:gut-2"} <= set(meetings(tmp_path))


def test_max_expansion_work_stops_the_feed(server: IcsServer, tmp_path: Path) -> None:
    url = server.put("/w.ics", hourly_rules(20_000))
    result, report = sync_cli(tmp_path, url, max_expansion_work=5000)
    assert result.returncode == 3 and "max_expansion_work" in report["errors"][0]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_records", 0),
        ("max_records", -5),
        ("max_records", "viele"),
        ("max_occurrences", 0),
        ("max_occurrences", 10**9),
        ("max_expansion_work", 0),
        ("recurrence_past", "-1d"),
        ("recurrence_future", "100000d"),
        ("recurrence_future", "nan"),
    ],
)
def test_bad_bound_settings_are_configuration_errors(
    server: IcsServer, tmp_path: Path, key: str, value: object
) -> None:
    result, _ = sync_cli(tmp_path, server.put("/c.ics", calendar(GOOD_EVENTS)), **{key: value})
    assert result.returncode == 2
    assert key in result.stderr
