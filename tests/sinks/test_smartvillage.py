"""Smart Village mainserver sink, against a contract stand-in on 127.0.0.1.

The real mainserver (Rails, graphql-ruby) cannot run here. ``mainserver.Mainserver`` checks what
can be checked without it: OAuth2 client credentials, the bearer token on every request, and
every GraphQL document with its variables against the schema built from the mainserver's
mutation inputs (graphql-core). The mainserver's own behaviour (storage, updates by ``id``) is
mimicked in memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from graphql import parse, validate

from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.models import Meeting, MeetingStatus
from ris_connector.sinks.smartvillage import MainserverClient, SmartVillageSink
from ris_connector.store import SQLiteStore
from tests.support.appchanges import make_app_changes, start_app_server
from tests.support.mainserver import Mainserver, mainserver_schema
from tests.support.ristest import OParlFactory, sync

#: The sample server's meetings reach half a year ahead.
HORIZON = timedelta(days=365)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def mainserver() -> Iterator[Mainserver]:
    server = Mainserver().start()
    yield server
    server.stop()


def _client(ms: Mainserver, clock: Callable[[], float] = time.monotonic) -> MainserverClient:
    return MainserverClient(ms.url, client_id=ms.client_id, client_secret=ms.client_secret, clock=clock)


def _upcoming(store: SQLiteStore, now: datetime) -> list[Meeting]:
    out: list[Meeting] = []
    for row in store.iter_rows(type_name="Meeting"):
        m = row.to_record()
        if isinstance(m, Meeting) and m.start and now <= m.start <= now + HORIZON:
            out.append(m)
    return out


def test_upcoming_meetings_become_complete_records_and_follow_changes(
    oparl_server: OParlFactory, store: SQLiteStore, mainserver: Mainserver
) -> None:
    server = start_app_server(oparl_server, scale=0.02)
    # A hostile agenda item title must arrive escaped in the HTML description.
    now = datetime.now(timezone.utc)
    upcoming_ids = [
        m for m in server.dataset.ids("Meeting") if datetime.fromisoformat(server.dataset.get(m)["start"]) > now
    ]
    item = server.dataset.get(upcoming_ids[-1])["agendaItem"][1]
    server.dataset.get(item)["name"] = 'Bericht <script>alert("x")</script> & Ausblick'
    sync(server, store)
    clock = FixedClock(now)
    mainserver.token_uses = 3  # tokens die after three requests: the client must renew on 401
    sink = SmartVillageSink(store, mainserver.url, clock=clock, horizon=HORIZON)

    report = sink.run(_client(mainserver))
    assert mainserver.violations == []
    expected = [m for m in _upcoming(store, now) if m.status not in (MeetingStatus.CANCELLED, MeetingStatus.POSTPONED)]
    assert len(expected) >= 4
    assert report.created == len(expected) and report.failed == 0
    assert mainserver.unauthorized >= 1 and mainserver.token_requests >= 2
    assert set(mainserver.by_external) == {m.id for m in expected}
    id_map = sink.id_map()
    assert {k: v["id"] for k, v in id_map.items()} == mainserver.by_external

    for meeting in expected:
        rec = mainserver.records[mainserver.by_external[meeting.id]]
        local = meeting.start.astimezone(BERLIN)
        assert rec["externalId"] == meeting.id
        assert rec["title"] and rec["categoryName"] == "Ratssitzungen"
        assert rec["dates"][0]["dateStart"] == local.date().isoformat()
        assert rec["dates"][0]["timeStart"] == f"{local:%H:%M}"  # wall-clock time in Berlin
        assert rec["addresses"][0]["street"] and rec["addresses"][0]["zip"] == "99999"
        assert {"latitude", "longitude"} <= set(rec["addresses"][0]["geoLocation"])
        urls = {u["description"]: u["url"] for u in rec["urls"]}
        assert urls["Sitzung im Ratsinformationssystem"] == meeting.web
        if meeting.invitation:
            assert urls["Einladung"] == store.get(meeting.invitation).data["accessUrl"]
        assert "<li>TOP 1: " in rec["description"] and rec["organizer"]["name"]
    hostile = mainserver.records[mainserver.by_external[store.get(upcoming_ids[-1]).id]]["description"]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Ausblick" in hostile
    assert "<script>" not in hostile

    # Nothing changed: nothing is sent.
    sent = len(mainserver.documents)
    again = sink.run(_client(mainserver))
    assert again.unchanged == len(expected) and again.created == again.updated == 0
    assert len(mainserver.documents) == sent

    # Changes at the source: cancelled, moved, relocated, invited, and one meeting deleted.
    changes = make_app_changes(server)
    now2 = datetime.now(timezone.utc)
    gone = next(
        m
        for m in server.dataset.ids("Meeting")
        if store.get(m).id in mainserver.by_external
        and m not in (changes.cancelled, changes.moved, changes.relocated, changes.invited)
    )
    server.dataset.delete(gone, modified=now2.replace(microsecond=0))
    sync(server, store)
    before = dict(mainserver.by_external)
    third = sink.run(_client(mainserver))
    assert mainserver.violations == []
    assert third.failed == 0 and third.created == 0 and third.destroyed == 1
    assert third.updated == 4
    assert mainserver.by_external == before  # updated in place, never created twice
    sid = lambda server_id: store.get(server_id).id  # noqa: E731
    cancelled = mainserver.records[before[sid(changes.cancelled)]]
    assert cancelled["title"].startswith("Abgesagt: ")
    assert "Diese Sitzung wurde abgesagt." in cancelled["description"]
    moved = mainserver.records[before[sid(changes.moved)]]
    assert moved["dates"][0]["dateStart"] == changes.new_start.astimezone(BERLIN).date().isoformat()
    invited = mainserver.records[before[sid(changes.invited)]]
    assert any(u["description"] == "Einladung" and u["url"].endswith("einladung-neu.pdf") for u in invited["urls"])
    assert before[sid(gone)] in mainserver.destroyed
    assert sink.id_map()[sid(gone)]["destroyed"] is True


def test_token_is_renewed_before_it_expires(
    oparl_server: OParlFactory, store: SQLiteStore, mainserver: Mainserver
) -> None:
    server = start_app_server(oparl_server)
    sync(server, store)
    mainserver.expires_in = 120
    ticks = [1000.0]
    client = _client(mainserver, clock=lambda: ticks[0])
    SmartVillageSink(store, mainserver.url, horizon=HORIZON).run(client)
    assert mainserver.token_requests == 1
    ticks[0] += 100  # within 30 s of the end of its life: renew before using it
    query = 'mutation($e: String) { createEventRecord(externalId: $e, title: "Probe") { id } }'
    client.execute(query, {"e": "urn:ris:test:Meeting:probe"}, what="probe")
    assert mainserver.token_requests == 2 and mainserver.unauthorized == 0
    assert mainserver.violations == []


def test_dry_run_prints_valid_graphql_and_sends_nothing(
    oparl_server: OParlFactory,
    store: SQLiteStore,
    mainserver: Mainserver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = start_app_server(oparl_server)
    sync(server, store)
    monkeypatch.delenv("SVA_CLIENT_SECRET", raising=False)
    assert main(["smartvillage", "--db", store.path, "--url", mainserver.url, "--dry-run", "--days", "365"]) == 0
    out = capsys.readouterr().out
    blocks = [b for b in out.split("# ") if b.strip()]
    assert len(blocks) >= 3
    schema = mainserver_schema()
    for block in blocks:
        header, rest = block.split("\n", 1)
        assert header.startswith("create ")
        query, variables = rest.split("\n{", 1)
        assert validate(schema, parse(query)) == []
        assert json.loads("{" + variables)["externalId"] == header.split(" ", 1)[1]
    assert mainserver.token_requests == 0 and mainserver.documents == []
    assert store.kv_items("smartvillage.ids." + mainserver.url.split("//")[1]) == {}


def test_cli_sends_with_credentials_from_the_environment(
    oparl_server: OParlFactory,
    store: SQLiteStore,
    mainserver: Mainserver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = start_app_server(oparl_server)
    sync(server, store)
    monkeypatch.setenv("MS_ID", mainserver.client_id)
    monkeypatch.setenv("MS_SECRET", mainserver.client_secret)
    args = ["-vv", "smartvillage", "--db", store.path, "--url", mainserver.url, "--days", "365"]
    args += ["--client-id-env", "MS_ID", "--client-secret-env", "MS_SECRET", "--json"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["created"] >= 3 and report["failed"] == 0
    assert mainserver.client_secret not in out + err
    assert mainserver.violations == []
    # Wrong credentials: a clear error, exit 3, the secret never shown, nothing stored.
    other = Mainserver(client_secret="the-right-one").start()
    try:
        monkeypatch.setenv("MS_SECRET", "wrong-secret")
        args[args.index(mainserver.url)] = other.url
        assert main(args) == 3
        out, err = capsys.readouterr()
        assert "refused the client credentials" in out + err and "wrong-secret" not in out + err
        assert other.documents == [] and store.kv_items("smartvillage.ids." + other.url.split("//")[1]) == {}
    finally:
        other.stop()
