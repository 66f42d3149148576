"""The served index follows the change feed: after each sync it applies the changed records (no
rebuild) and then equals an index built from scratch on the same store, also after a mirror run;
a change of the live Bodies rebuilds it; requests in many threads during syncs see no error.

Real parts throughout: the sample OParl server and the urn source synced into SQLite files, the
document mirror downloading over HTTP, the app served by a threaded WSGI server on 127.0.0.1.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

from ris_connector.clock import FixedClock
from ris_connector.files import FileMirror
from ris_connector.http import HttpSettings
from ris_connector.outputs.oparl import OParlApp, PublishIndex, create_app
from ris_connector.outputs.oparl.live import last_seq
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from ris_connector.sync import run_source
from tests.support.ristest import FAST_HTTP, oparl_source
from tests.support.urn_source import sync_urn

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)


def _sync(server: OParlServer, store: SQLiteStore, at: datetime, name: str = "town") -> None:
    report = run_source(oparl_source(server.system_url, name=name), store, clock=FixedClock(at))
    assert report.complete, report.errors


def _fresh(app: OParlApp) -> dict[str, Any]:
    return PublishIndex(app.store, body_names=app.body_names, files=app.files).snapshot()


def _round(server: OParlServer, n: int, at: datetime) -> None:
    """Changes of round ``n`` at the source: contents, embedded objects, deletes, a new meeting."""
    ds = server.dataset
    meetings = [m for m in ds.ids("Meeting") if isinstance(ds.get(m).get("location"), str)]
    meeting = meetings[n]
    ds.update(ds.get(meeting)["location"], modified=at, description=f"Raum {n}")
    files = [ds.get(m)["invitation"] for m in meetings if isinstance(ds.get(m).get("invitation"), str)]
    ds.update(files[n], modified=at, name=f"Einladung, Fassung {n}")
    ds.update(ds.ids("Paper")[n], modified=at, name=f"Antrag, Fassung {n}")
    ds.delete(meetings[-n], modified=at)
    ds.delete(files[-n], modified=at)
    items = [i for m in meetings[10:] for i in ds.get(m).get("agendaItem", [])]
    ds.delete(items[n], modified=at)
    ds.add({"type": "Meeting", "name": f"Sondersitzung {n}", "location": ds.get(meetings[0])["location"],
            "start": (at + timedelta(days=3)).isoformat()}, modified=at)  # fmt: skip


def test_the_index_follows_changes_without_rebuilding(tmp_path: Path) -> None:
    dest = tmp_path / "files"
    dest.mkdir()
    with OParlServer(version="1.1", scale=0.01, now=T0 - timedelta(days=1)) as server:
        store = SQLiteStore(tmp_path / "town.db")
        _sync(server, store, T0)
        app = create_app(store, base_url="http://oparl.example", files_dir=dest)
        other = create_app(store, base_url="http://oparl.example", files_dir=dest)  # a second server, same store
        assert app.get_json("/body")[0] == 200
        assert app.live.rebuilds == 1 and app.live.applied == 0
        for n in (1, 2, 3):
            at = T0 + timedelta(hours=n)
            _round(server, n, at - timedelta(minutes=5))
            _sync(server, store, at)
            assert app.index().snapshot() == _fresh(app), f"round {n}"
            assert app.live.rebuilds == 1, "changes were applied one by one"
            if n == 1:
                assert other.get_json("/body")[0] == 200  # built now, applies rounds 2 and 3 at once
        assert app.live.applied > 20
        # The mirror: a download raises the File's time; the generation marker moves the index.
        file_ids = sorted(e.id for e in app.index().entries.values() if e.type == "File" and not e.deleted)[:3]
        mirrored_at = T0 + timedelta(hours=5)
        settings = HttpSettings(**FAST_HTTP)
        report = FileMirror(store, dest, http=settings, clock=FixedClock(mirrored_at)).run(ids=file_ids)
        assert report.downloaded == 3
        index = app.index()
        assert index.snapshot() == _fresh(app)
        assert app.live.rebuilds == 1 and set(index.documents) == set(file_ids)
        assert all(index.entries[f].modified == mirrored_at for f in file_ids)
        # Two apps that followed different histories of the same store serve the same JSON.
        for name in ("meeting", "paper", "file", "locationList"):
            path = app.get_json("/body")[1]["data"][0][name][len("http://oparl.example") :]
            assert app.get_json(path, "limit=1000") == other.get_json(path, "limit=1000"), name
        store.close()


def test_a_new_body_rebuilds_the_index(oparl_server: Any, tmp_path: Path) -> None:
    """Records without a Body go to their source's only Body or a made-up one: a new live Body can
    move many records, so the index is built again (and equals a fresh one)."""
    with SQLiteStore(tmp_path / "two.db") as store:
        sync_urn(store)
        app = create_app(store, base_url="http://oparl.example")
        assert app.get_json("/body")[1]["pagination"]["totalElements"] == 1
        _sync(oparl_server(version="1.1", scale=0.01), store, T0)
        assert app.get_json("/body")[1]["pagination"]["totalElements"] == 2
        assert app.live.rebuilds == 2
        assert app.index().snapshot() == _fresh(app)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_concurrent_requests_while_the_store_changes(tmp_path: Path) -> None:
    """Six clients read lists and objects while three syncs change the store: every answer is a
    complete 200 page; afterwards the index equals a fresh one."""
    with OParlServer(version="1.1", scale=0.01, now=T0 - timedelta(days=1)) as server:
        store = SQLiteStore(tmp_path / "busy.db")
        _sync(server, store, T0)
        app = create_app(store)
        httpd = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_Quiet)
        serving = threading.Thread(target=httpd.serve_forever, daemon=True)
        serving.start()
        base = f"http://127.0.0.1:{httpd.server_port}"
        body = requests.get(f"{base}/body", timeout=30).json()["data"][0]
        stop = threading.Event()
        errors: list[str] = []
        answers = [0]

        def client(k: int) -> None:
            session = requests.Session()
            names = ("meeting", "paper", "file", "agendaItem", "locationList", "consultation")
            while not stop.is_set():
                try:
                    page = session.get(body[names[k % len(names)]], params={"limit": "50"}, timeout=60).json()
                    assert page["pagination"]["totalElements"] >= len(page["data"]) > 0
                    one = session.get(page["data"][-1]["id"], timeout=60)
                    assert one.status_code == 200 and one.json()["id"] == page["data"][-1]["id"]
                    answers[0] += 1
                except Exception as exc:  # collected and reported by the test
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return

        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        try:
            for n in (1, 2, 3):
                at = T0 + timedelta(hours=n)
                _round(server, n, at - timedelta(minutes=5))
                _sync(server, store, at)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
            httpd.shutdown()
            httpd.server_close()
        assert not errors, errors[:3]
        assert answers[0] > 6
        assert app.index().snapshot() == _fresh(app)
        store.close()


def test_last_seq_finds_the_end_of_the_feed(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "feed.db") as store:
        assert last_seq(store) == 0
        for n in (1, 2, 3):
            sync_urn(store, round=n)
        seqs = [e.seq for e in store.changes()]
        assert len(seqs) > 10
        assert {last_seq(store, after) for after in (0, 1, seqs[len(seqs) // 2], seqs[-1] - 1)} == {seqs[-1]}
        assert last_seq(store, seqs[-1]) == seqs[-1] and last_seq(store, seqs[-1] + 5) == seqs[-1] + 5
