"""Promise: only http and https URLs go out. ``javascript:``, ``data:``, ``vbscript:``, ``file:``
and every other scheme (also disguised: odd case, whitespace, control characters, character
references) are dropped when a record is admitted, with a counted ``unsafe-url`` notice naming
the field; the outputs (OParl endpoint, change feed and webhooks, Smart Village events) check
again. Real sample OParl server, real sync into SQLite files, real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ris_connector.adapters.base import Adapter, Item
from ris_connector.config import source_from_mapping
from ris_connector.feed.consumer import Consumer
from ris_connector.feed.webhook import WebhookSender
from ris_connector.http.outbound import RetryPolicy
from ris_connector.models import File, Meeting, Organization
from ris_connector.outputs.oparl import create_app
from ris_connector.outputs.wsgiserver import serving
from ris_connector.sample.server import OParlServer
from ris_connector.sinks.smartvillage.mapping import event_record
from ris_connector.store import SQLiteStore, WriteBatch
from ris_connector.sync.engine import SyncEngine
from ris_connector.urlsafe import safe_url
from tests.support.oparl_walk import walk
from tests.support.ristest import sync
from tests.support.webhook_receiver import FlakyReceiver

#: Values a hostile source puts where a URL belongs; none may reach an output.
HOSTILE = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "  javascript:alert(1)",
    "\x00javascript:alert(1)",
    "\x01 javascript:alert(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "\\\\evil.example\\share",
    "https:evil.example",
    "http:/evil.example",
    "https://",
    "ftp://files.example/x.pdf",
    "https://ris.example.de/x\x00y",
    "https://ris.example.de/\u0085x",
]
SAFE = {
    "https://ris.example.de/si0057.php?__ksinr=1": "https://ris.example.de/si0057.php?__ksinr=1",
    "HTTP://RIS.EXAMPLE.DE/": "HTTP://RIS.EXAMPLE.DE/",
    "  https://ris.example.de/x  ": "https://ris.example.de/x",
    "https://ris.example.de/Anlage 1.pdf": "https://ris.example.de/Anlage%201.pdf",
    "https://ris.example.de/Übersicht": "https://ris.example.de/Übersicht",
}
#: How the hostile values would show in JSON text (control characters escaped by json.dumps).
_BAD_MARKS = ("javascript", "vbscript", "data:text", "file:///", "evil.example", "ftp://", "\\u0000", "\\u0085")


def _no_hostile_text(text: str) -> None:
    for mark in _BAD_MARKS:
        assert mark not in text.lower(), f"{mark!r} reached an output: ...{text[text.lower().find(mark) - 80 :][:200]}"


@pytest.mark.parametrize("value", HOSTILE)
def test_every_disguise_is_no_url(value: str) -> None:
    record = File(id="https://ris.example.de/file/1", access_url=value, web=value, license=value)
    assert record.access_url is None and record.web is None and record.license is None
    assert record.url_notes is not None and {n[0] for n in record.url_notes} == {"unsafe-url"}
    assert safe_url(value) is None


@pytest.mark.parametrize(("value", "kept"), SAFE.items())
def test_http_urls_are_kept_or_repaired(value: str, kept: str) -> None:
    record = Organization(id="https://ris.example.de/org/1", website=value)
    assert record.website == kept


def test_licence_text_is_kept_licence_urls_of_other_schemes_not() -> None:
    licence = "Datenlizenz Deutschland Namensnennung 2.0"
    text = File(id="x", license=licence, file_license="Nutzung nur nach Genehmigung.")
    assert text.license == licence and text.url_notes is None
    assert text.file_license == "Nutzung nur nach Genehmigung."
    assert File(id="x", file_license="java\tscript:alert(1)").file_license is None


def _hostile_source(server: OParlServer) -> dict[str, str]:
    """Put hostile URLs into a Meeting, a File and the Body of the sample server; their ids."""
    ds = server.dataset
    meeting, file_id, body = ds.ids("Meeting")[0], ds.ids("File")[0], ds.ids("Body")[0]
    ds.update(meeting, web="JaVaScRiPt:alert(document.cookie)")
    ds.update(file_id, accessUrl=" javascript:alert(1)", downloadUrl="data:text/html,<script>alert(1)</script>")
    ds.update(body, website="vbscript:msgbox(1)", equivalent=["https://www.wikidata.org/wiki/Q1", "file:///etc/passwd"])
    return {"meeting": meeting, "file": file_id, "body": body}


def test_an_oparl_source_cannot_publish_active_urls(oparl_server: Callable[..., OParlServer], tmp_path: Path) -> None:
    server = oparl_server(version="1.1", scale=0.003)
    ids = _hostile_source(server)
    hook = FlakyReceiver(secret=b"s", fail_rate=0.0).start()
    try:
        with SQLiteStore(tmp_path / "ris.db") as store:
            report = sync(server, store)
            assert report.complete
            warning = report.warnings["unsafe-url"]
            assert warning["count"] == 5  # web, accessUrl, downloadUrl, website, one of equivalent
            assert "is not an http(s) URL; dropped" in warning["example"]
            assert any(f in warning["example"] for f in ("web", "accessUrl", "downloadUrl", "website", "equivalent"))
            stored = "\n".join(json.dumps(r.data) for r in store.iter_rows())
            _no_hostile_text(stored)
            body = store.get(ids["body"])
            assert body is not None and body.data["equivalent"] == ["https://www.wikidata.org/wiki/Q1"]

            # OParl endpoint: every reachable object over HTTP.
            with serving(create_app(store)) as http:
                base = http.url
                seen = walk(f"{base}/system", base)
            _no_hostile_text(seen.texts())

            # Change feed and webhook.
            _no_hostile_text("\n".join(json.dumps(e.to_json_dict()) for e in store.changes()))
            policy = RetryPolicy(max_attempts=3, backoff_initial=0.01, backoff_max=0.05)
            WebhookSender(hook.url, secret=b"s", policy=policy).push(Consumer(store, "hook"))
            assert hook.deliveries
            _no_hostile_text("\n".join(d.body.decode() for d in hook.deliveries))

            # Smart Village event of the meeting.
            row = store.get(ids["meeting"])
            assert row is not None
            event = event_record(store, row.to_record())  # type: ignore[arg-type]
            _no_hostile_text(json.dumps(event))
    finally:
        hook.stop()


class _PluginAdapter(Adapter):
    """A third-party adapter that builds records every way Python allows."""

    name = "hostile-plugin"

    def fetch(self) -> Iterator[Item]:
        yield Meeting(id="urn:ris:p:Meeting:1", name="validated", web="javascript:alert(1)")
        assigned = Meeting(id="urn:ris:p:Meeting:2", name="assigned later")
        assigned.web = "data:text/html,<script>alert(1)</script>"  # no validation on assignment
        yield assigned
        yield File.model_construct(  # no validation at all
            id="urn:ris:p:File:3", type="File", access_url="vbscript:msgbox(1)", web=" https://ok.example/x "
        )


def test_records_of_plugins_pass_the_same_check(tmp_path: Path) -> None:
    config = source_from_mapping({"name": "p", "adapter": "hostile-plugin"})  # ids urn:ris:p:...
    with SQLiteStore(tmp_path / "ris.db") as store:
        report = SyncEngine(config, store, adapter_cls=_PluginAdapter).run()
        assert report.complete
        assert report.warnings["unsafe-url"]["count"] == 3
        assert report.warnings["url-repaired"]["count"] == 1
        # the example of each code is the first value's, with the record and the field's JSON name
        assert report.warnings["unsafe-url"]["example"] == (
            "Meeting urn:ris:p:Meeting:1: web 'javascript:alert(1)' is not an http(s) URL; dropped"
        )
        assert report.warnings["url-repaired"]["example"] == (
            "File urn:ris:p:File:3: web ' https://ok.example/x ' repaired (whitespace)"
        )
        _no_hostile_text("\n".join(json.dumps(r.data) for r in store.iter_rows()))
        row = store.get("urn:ris:p:File:3")
        assert row is not None and row.data["web"] == "https://ok.example/x" and "accessUrl" not in row.data


def test_outputs_check_again_data_stored_without_the_engine(tmp_path: Path) -> None:
    """A store written before the check existed (or by other code): the outputs drop the values."""
    now = datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat()
    meeting = {"id": "urn:ris:old:Meeting:1", "type": "Meeting", "name": "Rat", "web": "javascript:alert(1)"}
    file = {"id": "urn:ris:old:File:1", "type": "File", "accessUrl": "data:text/html,x", "web": "https://ok.example/"}
    with SQLiteStore(tmp_path / "ris.db") as store:
        run = store.start_run("old", "test", full=True, started=now)
        batch = WriteBatch("old", run, now)
        for data in (meeting, file):
            batch.upserts.append((str(data["id"]), str(data["type"]), "h", json.dumps(data), False))
            changes: dict[str, list[Any]] = {"web": [None, data["web"]]}
            batch.events.append(("updated", str(data["type"]), str(data["id"]), ["web"], changes))
        store.apply(batch)
        with serving(create_app(store)) as http:
            seen = walk(f"{http.url}/system", http.url)
        assert any(d.get("ris:originalId") == file["id"] for d in seen.objects)
        _no_hostile_text(seen.texts())
        _no_hostile_text("\n".join(json.dumps(e.to_json_dict()) for e in store.changes()))
        row = store.get(str(meeting["id"]))
        assert row is not None and row.to_record().web is None  # models drop it when read back
