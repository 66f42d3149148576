"""Only real changes are news: volatile text is stored but makes no update event and no new hash.

A real ALLRIS calendar feed, synced daily for four months, announced 4,624 meeting updates that
changed nothing but "Exportiert am 21.01.2026" in the description. The feeds here are served by
a real HTTP server on 127.0.0.1 and synced into a real SQLite file (and PostgreSQL where noted).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.clock import FixedClock
from ris_connector.config import source_from_mapping
from ris_connector.store import Store
from ris_connector.sync import RunReport, run_source
from ris_connector.sync.volatile import BUILTIN_RULES, VolatileText
from tests.support.clirun import cli, cli_json, write_config
from tests.support.ics_server import IcsServer
from tests.support.ristest import FAST_HTTP, ROOT, OParlFactory, sync
from tests.test_jsontext import reference_hash

NOW = datetime(2026, 1, 21, 6, 0, tzinfo=timezone.utc)
PATH = "/public/ics/SiKalAbo.ics"


def allris_feed(stamp: str, *, summary: str = "Rat der Stadt", session: str = "0A1B2C3D4E5F6071") -> str:
    """An ALLRIS-style meeting calendar: every DESCRIPTION ends with the export date."""
    events = []
    for n, (day, name) in enumerate([("20260210", summary), ("20260211", "Bauausschuss"), ("20260212", "Jugendhilfe")]):
        events.append(
            f"""BEGIN:VEVENT
UID:ALLRIS-Sitzung-{4711 + n}
DTSTAMP:{{now}}
DTSTART;TZID=Europe/Berlin:{day}T170000
DTEND;TZID=Europe/Berlin:{day}T190000
SUMMARY:{name}
LOCATION:Rathaus\\, Großer Sitzungssaal
URL:https://ris.musterstadt.de/public/si010;jsessionid={session}?SILFDNR={4711 + n}
DESCRIPTION:Tagesordnung im Ratsinformationssystem.\\nExportiert am {stamp}
END:VEVENT"""
        )
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//CC e-gov GmbH//ALLRIS 4//DE\n"
    return head + "\n".join(events) + "\nEND:VCALENDAR"


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with IcsServer() as srv:
        yield srv


def ics_sync(url: str, store: Store, **extra: Any) -> RunReport:
    source = source_from_mapping({"name": "rat", "adapter": "ics", "url": url, "http": FAST_HTTP, **extra})
    return run_source(source, store, clock=FixedClock(NOW))


def events_of(store: Store, report: RunReport, kind: str = "updated") -> list[Any]:
    return [e for e in store.changes(source=report.source) if e.run_id == report.run_id and e.kind == kind]


def test_an_export_stamp_alone_is_no_news_and_a_real_change_is(server: IcsServer, any_store: Store) -> None:
    url = server.put(PATH, allris_feed("21.01.2026"))
    first = ics_sync(url, any_store)
    assert first.counts["Meeting"]["created"] == 3
    meeting = "urn:ris:rat:Meeting:ALLRIS-Sitzung-4711"
    row = any_store.get(meeting)
    assert row is not None and row.data["description"].endswith("Exportiert am 21.01.2026")

    for day in ("22.01.2026", "23.01.2026, 06:00 Uhr"):  # a new export date (and time), the session changed
        server.put(PATH, allris_feed(day, session=f"FFFF{day[:2]}0000AAAA"))
        again = ics_sync(url, any_store)
        assert again.complete and again.counts["Meeting"]["updated"] == 0, again.summary()
        assert again.counts["Meeting"]["unchanged"] == 3 and events_of(any_store, again) == []
    row = any_store.get(meeting)  # stored as received: the text is kept, only its news value is gone
    assert row is not None and "Exportiert am 21.01.2026" in row.data["description"]

    server.put(PATH, allris_feed("24.01.2026", summary="Rat der Stadt (Sondersitzung)"))
    changed = ics_sync(url, any_store)
    (event,) = events_of(any_store, changed)
    assert event.id == meeting and event.fields == ["name"]  # the stamp is not among the changes
    assert event.changes["name"] == ["Rat der Stadt", "Rat der Stadt (Sondersitzung)"]
    row = any_store.get(meeting)
    assert row is not None and row.data["description"].endswith("Exportiert am 24.01.2026")

    server.put(PATH, allris_feed("25.01.2026", summary="Rat der Stadt (Sondersitzung)"))
    assert events_of(any_store, ics_sync(url, any_store)) == []


def test_hashes_without_volatile_text_stay_what_earlier_versions_stored(
    oparl_server: OParlFactory, any_store: Store
) -> None:
    """No rule matches sample data: each row's hash is the standard-library hash of its content."""
    from ris_connector.models import RECORD_TYPES

    server = oparl_server(scale=0.003)
    assert sync(server, any_store).complete
    rows = list(any_store.iter_rows())
    assert len(rows) > 100
    for row in rows:
        assert row.hash == reference_hash(RECORD_TYPES[row.type].model_validate(row.data)), row.id


def test_a_store_hashed_with_the_stamp_upgrades_without_news(server: IcsServer, any_store: Store) -> None:
    """Hashes written before the rules existed contain the stamp; the next run replaces them silently."""
    url = server.put(PATH, allris_feed("21.01.2026"))
    ics_sync(url, any_store)
    for row in any_store.iter_rows(type_name="Meeting"):  # as ris-connector 0.x hashed it: stamp included
        content = {k: v for k, v in row.data.items() if k not in {"provenance", "raw", "created", "modified"}}
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row.hash == hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    server.put(PATH, allris_feed("22.01.2026"))
    upgraded = ics_sync(url, any_store)
    assert upgraded.counts["Meeting"]["updated"] == 0 and events_of(any_store, upgraded) == []
    cleaned = VolatileText()
    for row in any_store.iter_rows(type_name="Meeting"):
        content = {k: v for k, v in row.data.items() if k not in {"provenance", "raw", "created", "modified"}}
        text = json.dumps(cleaned.content(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row.hash == hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda r: r.code)
def test_every_built_in_rule_matches_its_documented_example(rule: Any) -> None:
    text = VolatileText()
    cleaned = text.clean(rule.example)
    assert cleaned != rule.example and len(cleaned) < len(rule.example)
    assert text.clean(cleaned) == cleaned  # nothing volatile left
    doc = (ROOT / "docs" / "changes.md").read_text(encoding="utf-8")
    assert f"`{rule.code}`" in doc and rule.example.split("\n")[-1] in doc


@pytest.mark.parametrize(
    "text",
    [
        "https://ris.example.de/termine.php?sid=815",  # a short numeric sid: a meeting number, kept
        "Exportiert wurde die Vorlage am Montag",  # no date
        "Stand der Beratung: 21.01.2026",  # a date that belongs to the content
        "https://ris.example.de/vo0050.php?__kvonr=12345&voselect=4711",
        "Erstellt am 21.01.2026",
    ],
)
def test_text_that_only_looks_volatile_is_kept(text: str) -> None:
    assert VolatileText().clean(text) is text


def test_ignore_changes_of_a_source_from_the_config_file(server: IcsServer, tmp_path: Path) -> None:
    def feed(clock: str, summary: str = "Rat der Stadt") -> str:
        return allris_feed("21.01.2026", summary=summary).replace(
            "Tagesordnung im Ratsinformationssystem.", f"Tagesordnung (Seitenaufruf {clock})."
        )

    url = server.put(PATH, feed("10:15"))
    db = tmp_path / "ris.db"
    table = f'[[source]]\nname = "rat"\nadapter = "ics"\nurl = "{url}"\n'
    config = write_config(tmp_path / "ris.toml", db, table + "ignore_changes = ['Seitenaufruf \\d\\d:\\d\\d']")
    code, first = cli_json("sync", "--config", str(config))
    assert code == 0 and first["counts"]["Meeting"]["created"] == 3

    server.put(PATH, feed("11:30"))
    code, second = cli_json("sync", "--config", str(config))
    assert code == 0 and second["status"] == "complete"
    assert second["counts"]["Meeting"]["updated"] == 0 and second["counts"]["Meeting"]["unchanged"] == 3

    server.put(PATH, feed("12:45", summary="Rat (verlegt)"))
    code, third = cli_json("sync", "--config", str(config))
    assert code == 0 and third["counts"]["Meeting"]["updated"] == 1

    without = write_config(tmp_path / "plain.toml", db, table)  # the same source without the pattern
    server.put(PATH, feed("13:00", summary="Rat (verlegt)"))
    code, fourth = cli_json("sync", "--config", str(without))
    assert code == 0 and fourth["counts"]["Meeting"]["updated"] == 3  # the clock text is news to it

    broken = write_config(tmp_path / "broken.toml", db, table + "ignore_changes = ['Seitenaufruf (']")
    done = cli("sync", "--config", str(broken))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "source 'rat'" in done.stderr and "ignore_changes" in done.stderr and "not a valid regular" in done.stderr
