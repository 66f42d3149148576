"""The OParl output serving mirrored documents from its own URLs: real HTTP on 127.0.0.1, a real
sync of the sample server, the real mirror, real SQLite files; nothing mocked."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from ris_connector.cli import main
from ris_connector.clock import FixedClock
from ris_connector.files import FileMirror
from ris_connector.files.entry import NAMESPACE, FileEntry
from ris_connector.http import HttpSettings
from ris_connector.models import File
from ris_connector.outputs.oparl import create_app, url_key
from ris_connector.sample.documents import tiny_pdf
from ris_connector.sample.server import OParlServer
from ris_connector.store import SQLiteStore
from tests.support.file_server import FileServer, put_files
from tests.support.oparl_schema import problems
from tests.support.oparl_walk import walk
from tests.support.ristest import FAST_HTTP, sync
from tests.support.urn_source import APPOINTMENT_ID, sync_urn
from tests.support.wsgi_serve import serve_wsgi


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` configures the ``ris_connector`` logger (no propagation); undo it for later tests."""
    logger = logging.getLogger("ris_connector")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def _is_document(base: str) -> Callable[[str], bool]:
    def check(url: str) -> bool:
        rest = url[len(base) :].split("/")
        return len(rest) == 5 and rest[1] == "file" and rest[3] in ("access", "download")

    return check


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def test_mirrored_files_are_served_from_the_output(oparl_server: Callable[..., OParlServer], tmp_path: Path) -> None:
    server = oparl_server(version="1.1", scale=0.003)
    dest = tmp_path / "files"
    dest.mkdir()
    with SQLiteStore(tmp_path / "ris.db") as store:
        assert sync(server, store).complete
        rows = {row.id: row.data for row in store.iter_rows(type_name="File")}
        assert len(rows) >= 3
        ids = sorted(rows)
        mirrored, left_out = ids[:-1], ids[-1]
        app = create_app(store, files_dir=dest)
        before = max(e.modified for e in app.index().entries.values())
        # The mirror runs a minute "later" (its clock is injected), so its change is visible to a poller.
        at = before.replace(microsecond=0) + timedelta(minutes=1)
        report = FileMirror(store, dest, http=HttpSettings(**FAST_HTTP), clock=FixedClock(at)).run(ids=mirrored)
        assert report.downloaded == len(mirrored) and report.failed_total == 0
        mirror = FileMirror(store, dest)
        with serve_wsgi(app) as base:
            key = url_key(mirrored[0])
            obj = requests.get(f"{base}/file/{key}", timeout=10).json()
            assert problems(obj) == []
            source = rows[mirrored[0]]
            assert obj["ris:originalDownloadUrl"] == source["downloadUrl"]
            assert obj.get("ris:originalAccessUrl") == source.get("accessUrl")
            assert obj["downloadUrl"].startswith(f"{base}/file/{key}/download/")
            assert obj["accessUrl"].startswith(f"{base}/file/{key}/access/")
            # the mirror's change raised the File's published modified (the app noticed without restart)
            assert obj["modified"] == _iso(at)

            download = requests.get(obj["downloadUrl"], timeout=10)
            blob = mirror.path_for(mirrored[0])
            assert blob is not None
            upstream = requests.get(source["downloadUrl"], timeout=10).content
            assert download.status_code == 200
            assert download.content == blob.read_bytes() == upstream
            sha = hashlib.sha256(upstream).hexdigest()
            assert download.headers["ETag"] == f'"{sha}"'
            assert download.headers["Content-Type"] == source.get("mimeType", "application/pdf")
            assert download.headers["Content-Length"] == str(len(upstream))
            assert download.headers["Content-Disposition"].startswith("attachment;")
            inline = requests.get(obj["accessUrl"], timeout=10)
            assert inline.content == upstream and inline.headers["Content-Disposition"].startswith("inline;")
            again = requests.get(obj["downloadUrl"], headers={"If-None-Match": f'"{sha}"'}, timeout=10)
            assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == f'"{sha}"'
            other = requests.get(obj["downloadUrl"], headers={"If-None-Match": '"x"'}, timeout=10)
            assert other.status_code == 200 and other.content == upstream
            head = requests.head(obj["downloadUrl"], timeout=10)
            assert (
                head.status_code == 200 and head.content == b"" and head.headers["Content-Length"] == str(len(upstream))
            )

            # a File the mirror never checked keeps the source's URLs and has no download route
            plain = requests.get(f"{base}/file/{url_key(left_out)}", timeout=10).json()
            assert plain["downloadUrl"] == rows[left_out]["downloadUrl"] and "ris:originalDownloadUrl" not in plain
            assert requests.get(f"{base}/file/{url_key(left_out)}/download/x.pdf", timeout=10).status_code == 404

            # a poller asking for changes since before the mirror run gets the mirrored Files ...
            after = {"modified_since": _iso(before + timedelta(seconds=1)), "limit": "1000"}
            polled: set[str] = set()
            embedded: list[dict[str, Any]] = []
            for body in app.index().bodies:
                page = requests.get(f"{base}/body/{body.key}/file", params=after, timeout=10)
                polled |= {o["ris:originalId"] for o in page.json()["data"]}
                # ... and the Meetings that embed them, whose embedded copies changed too
                meetings = requests.get(f"{base}/body/{body.key}/meeting", params=after, timeout=10)
                for m in meetings.json()["data"]:
                    embedded += [f for f in [*m.get("auxiliaryFile", []), m.get("invitation")] if f]
            assert polled == set(mirrored)
            assert embedded and all(f["downloadUrl"].startswith(base) for f in embedded)
            assert all(f["ris:originalId"] in mirrored for f in embedded)

            # every object still validates against the OParl 1.1 schema, every document URL answers
            seen = walk(f"{base}/system", base, skip=_is_document(base))
            bad = {o["id"]: problems(o) for o in seen.objects if problems(o)}
            assert not bad, dict(list(bad.items())[:3])
            files = {o["ris:originalId"]: o for o in seen.objects if o.get("type", "").endswith("/File")}
            assert set(files) == set(ids)
            for fid in mirrored:
                expected = mirror.path_for(fid)
                assert expected is not None
                assert requests.get(files[fid]["accessUrl"], timeout=10).content == expected.read_bytes()


def test_only_recorded_blobs_of_published_files_are_served(tmp_path: Path) -> None:
    """No path from the store or the request reaches the disk; Appointments are never served."""
    dest = tmp_path / "files"
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not for the public")
    content = b"%PDF-1.4 personal appointment attachment"
    sha = hashlib.sha256(content).hexdigest()
    blob = dest / "sha256" / sha[:2] / sha[2:4] / sha
    blob.parent.mkdir(parents=True)
    blob.write_bytes(content)
    with SQLiteStore(tmp_path / "urn.db") as store:
        sync_urn(store)
        now = "2024-05-01T10:00:00+00:00"
        good = FileEntry(
            id=APPOINTMENT_ID,
            source="x",
            status="downloaded",
            checked=now,
            sha256=sha,
            size=len(content),
            path=str(blob),
        )
        store.kv_set(NAMESPACE, APPOINTMENT_ID, good.to_json())
        file_id = next(r.id for r in store.iter_rows(type_name="File"))
        forged = FileEntry(
            id=file_id, source="x", status="downloaded", checked=now, sha256="../../secret.txt", path=str(secret)
        )
        store.kv_set(NAMESPACE, file_id, forged.to_json())
        app = create_app(store, files_dir=dest)
        with serve_wsgi(app) as base:
            assert requests.get(f"{base}/file/{url_key(APPOINTMENT_ID)}/download/x.pdf", timeout=10).status_code == 404
            assert requests.get(f"{base}/appointment/{url_key(APPOINTMENT_ID)}", timeout=10).status_code == 404
            obj = requests.get(f"{base}/file/{url_key(file_id)}", timeout=10).json()
            assert not obj["accessUrl"].startswith(base) and "ris:originalAccessUrl" not in obj
            for path in (
                f"/file/{url_key(file_id)}/download/x",
                "/file/../../secret.txt/download",
                "/file/%2e%2e/download/x",
            ):
                resp = requests.get(base + path, timeout=10)
                assert resp.status_code == 404 and b"not for the public" not in resp.content


def test_a_changed_document_changes_etag_bytes_and_modified(tmp_path: Path) -> None:
    """The source replaces a PDF, then loses it: the output follows each mirror run without a restart."""
    clock = FixedClock(datetime(2024, 6, 1, 8, tzinfo=timezone.utc))
    dest = tmp_path / "files"
    v1, v2 = tiny_pdf("Einladung", "Fassung 1"), tiny_pdf("Einladung", "Fassung 2 (berichtigt)")
    with FileServer() as files, SQLiteStore(tmp_path / "ris.db") as store:
        files.put("/docs/einladung.pdf", v1)
        record = File(
            id=files.url("/oparl/files/1"),
            name="Einladung Ausschuss für Umwelt",
            file_name="Einladung Ausschuß.pdf",
            access_url=files.url("/docs/einladung.pdf"),
            download_url=files.url("/docs/einladung.pdf"),
            mime_type="application/pdf",
        )
        put_files(store, [record])
        mirror = FileMirror(store, dest, http=HttpSettings(**FAST_HTTP), clock=clock)
        assert mirror.run().downloaded == 1
        app = create_app(store, files_dir=dest)
        with serve_wsgi(app) as base:
            url = f"{base}/file/{url_key(record.id)}"
            first = requests.get(url, timeout=10).json()
            assert first["modified"] == "2024-06-01T08:00:00+00:00"
            assert first["downloadUrl"].endswith("/Einladung_Ausschuss.pdf")
            got = requests.get(first["downloadUrl"], timeout=10)
            assert got.content == v1
            assert "filename*=UTF-8''Einladung%20Ausschu%C3%9F.pdf" in got.headers["Content-Disposition"]
            etag1 = got.headers["ETag"]

            clock.set(datetime(2024, 6, 2, 8, tzinfo=timezone.utc))
            files.put("/docs/einladung.pdf", v2)
            assert mirror.run().downloaded == 1
            second = requests.get(url, timeout=10).json()
            assert second["modified"] == "2024-06-02T08:00:00+00:00"
            changed = requests.get(second["downloadUrl"], headers={"If-None-Match": etag1}, timeout=10)
            assert changed.status_code == 200 and changed.content == v2
            assert changed.headers["ETag"] == f'"{hashlib.sha256(v2).hexdigest()}"' != etag1

            clock.set(datetime(2024, 6, 3, 8, tzinfo=timezone.utc))  # an unchanged check moves nothing
            assert mirror.run().unchanged == 1
            assert requests.get(url, timeout=10).json()["modified"] == "2024-06-02T08:00:00+00:00"

            clock.set(datetime(2024, 6, 4, 8, tzinfo=timezone.utc))
            del files.files["/docs/einladung.pdf"]
            assert mirror.run().failed_total == 1
            third = requests.get(url, timeout=10).json()
            assert third["downloadUrl"] == record.download_url and "ris:originalDownloadUrl" not in third
            assert third["modified"] == "2024-06-04T08:00:00+00:00"
            assert requests.get(second["downloadUrl"], timeout=10).status_code == 404


def test_serve_and_export_commands_with_files(oparl_server: Callable[..., OParlServer], tmp_path: Path) -> None:
    server = oparl_server(version="1.1", scale=0.002)
    db, dest, out = tmp_path / "ris.db", tmp_path / "files", tmp_path / "site"
    with SQLiteStore(db) as store:
        assert sync(server, store).complete
        sources = {row.id: row.data["downloadUrl"] for row in store.iter_rows(type_name="File")}
    assert main(["-q", "files", "--db", str(db), "--dest", str(dest)]) == 0
    base = "https://ris.example.org/oparl"
    assert main(["export-oparl", "--db", str(db), "--out", str(out), "--base-url", base, "--files", str(dest)]) == 0
    for file_id, source_url in sources.items():
        obj = json.loads((out / "file" / url_key(file_id) / "index.json").read_text(encoding="utf-8"))
        assert obj["ris:originalDownloadUrl"] == source_url
        upstream = requests.get(source_url, timeout=10).content
        for attr in ("accessUrl", "downloadUrl"):
            assert obj[attr].startswith(base + "/")
            assert (out / obj[attr][len(base) + 1 :]).read_bytes() == upstream
    assert main(["export-oparl", "--db", str(db), "--out", str(out), "--base-url", base, "--files", str(dest)]) == 0
    assert main(["serve", "--db", str(db), "--files", str(tmp_path / "missing")]) == 2

    proc = subprocess.Popen(
        [sys.executable, "-m", "ris_connector", "serve", "--db", str(db), "--port", "0", "--files", str(dest)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "OParl 1.1 endpoint: " in line, line
        base_url = line.split("OParl 1.1 endpoint: ", 1)[1].split(" ", 1)[0].rsplit("/system", 1)[0]
        file_id, source_url = next(iter(sources.items()))
        served: dict[str, Any] = requests.get(f"{base_url}/file/{url_key(file_id)}", timeout=10).json()
        got = requests.get(served["downloadUrl"], timeout=10)
    finally:
        proc.terminate()
        proc.wait(10)
    assert got.status_code == 200 and got.content == requests.get(source_url, timeout=10).content


def test_documents_that_could_run_script_are_never_shown_inline(tmp_path: Path) -> None:
    """An HTML File (a vendor's "document" page) must not run script on the output's origin."""
    page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>Beschluss</body></html>"
    with FileServer() as files, SQLiteStore(tmp_path / "ris.db") as store:
        files.put("/docs/beschluss.html", page, content_type="text/html")
        record = File(
            id=files.url("/oparl/files/7"), access_url=files.url("/docs/beschluss.html"), mime_type="text/html"
        )
        put_files(store, [record])
        assert FileMirror(store, tmp_path / "files", http=HttpSettings(**FAST_HTTP)).run().downloaded == 1
        with serve_wsgi(create_app(store, files_dir=tmp_path / "files")) as base:
            obj = requests.get(f"{base}/file/{url_key(record.id)}", timeout=10).json()
            assert obj["ris:originalAccessUrl"] == record.access_url and "ris:originalDownloadUrl" not in obj
            shown = requests.get(obj["accessUrl"], timeout=10)
    assert shown.content == page and shown.headers["Content-Type"] == "text/html"
    assert shown.headers["Content-Disposition"].startswith("attachment;")
    assert shown.headers["Content-Security-Policy"] == "sandbox"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
