"""Promise: mirrored files served by the OParl endpoint (``serve --files``) cannot run script on
its origin and cannot be turned into a way to read other files. Only PDF, PNG, JPEG, GIF, WebP
and plain text are shown inline, everything else is an attachment, every answer carries
``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox``; blobs are opened
at every request without following a symbolic link. Real files on 127.0.0.1, the real mirror,
real SQLite files, the real ``serve`` server."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ris_connector.files import FileMirror
from ris_connector.files.blobs import BlobStore
from ris_connector.http import HttpSettings
from ris_connector.models import File
from ris_connector.outputs.oparl import create_app, url_key
from ris_connector.outputs.wsgiserver import serving
from ris_connector.sample.documents import tiny_pdf
from ris_connector.store import SQLiteStore
from tests.support.file_server import FileServer, put_files
from tests.support.ristest import FAST_HTTP

#: An XML document whose XHTML-namespaced <script> a browser runs when it renders the XML itself.
XHTML = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Beschluss</title>'
    b'<x:script xmlns:x="http://www.w3.org/1999/xhtml">fetch("/system?c="+document.cookie)</x:script>'
    b"</channel></rss>"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: (name, content type, bytes, shown inline)
DOCUMENTS = [
    ("feed.rss", "application/rss+xml", XHTML, False),
    ("beschluss.xml", "application/pdf+xml", XHTML, False),
    ("seite.html", "text/html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", False),
    ("bild.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', False),
    ("vorlage.pdf", "application/pdf", tiny_pdf("Vorlage"), True),
    ("plan.png", "image/png", PNG, True),
    ("notiz.txt", "text/plain", b"Sitzung am Montag", True),
]


def _mirrored(tmp_path: Path, documents: list[tuple[str, str, bytes, bool]]) -> Iterator[tuple[SQLiteStore, Path]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    with FileServer() as files, SQLiteStore(tmp_path / "ris.db") as store:
        records = []
        for n, (name, ctype, content, _) in enumerate(documents):
            files.put(f"/docs/{name}", content, content_type=ctype)
            url = files.url(f"/docs/{name}")
            records.append(File(id=files.url(f"/oparl/files/{n}"), access_url=url, mime_type=ctype))
        put_files(store, records)
        report = FileMirror(store, tmp_path / "files", http=HttpSettings(**FAST_HTTP)).run()
        assert report.downloaded == len(documents), report
        yield store, tmp_path / "files"


@pytest.fixture
def mirrored(tmp_path: Path) -> Iterator[tuple[SQLiteStore, Path]]:
    yield from _mirrored(tmp_path, DOCUMENTS)


def test_only_an_allowlist_is_shown_inline_and_everything_is_sandboxed(mirrored: tuple[SQLiteStore, Path]) -> None:
    store, dest = mirrored
    with serving(create_app(store, files_dir=dest)) as server:
        for n, (name, ctype, content, inline) in enumerate(DOCUMENTS):
            record = store.get(next(r.id for r in store.iter_rows(type_name="File") if r.id.endswith(f"/files/{n}")))
            assert record is not None
            obj = requests.get(f"{server.url}/file/{url_key(record.id)}", timeout=10).json()
            for url, shown in ((obj["accessUrl"], inline), (obj["downloadUrl"], False)):
                got = requests.get(url, timeout=10)
                assert got.status_code == 200 and got.content == content, name
                assert got.headers["Content-Type"] == ctype
                kind = got.headers["Content-Disposition"].split(";", 1)[0]
                assert kind == ("inline" if shown else "attachment"), f"{name} at {url}: {kind}"
                assert got.headers["X-Content-Type-Options"] == "nosniff", name
                assert got.headers["Content-Security-Policy"] == "sandbox", name
                again = requests.get(url, headers={"If-None-Match": got.headers["ETag"]}, timeout=10)
                assert again.status_code == 304 and again.headers["Content-Security-Policy"] == "sandbox"


def _blob_path(dest: Path, content: bytes) -> Path:
    return BlobStore(dest).path_of(hashlib.sha256(content).hexdigest())


def test_a_blob_swapped_for_a_link_after_start_is_not_followed(tmp_path: Path) -> None:
    """``serve --files`` checked a blob's path once; a link swapped in later was followed."""
    content = b"Sitzung am Montag, oeffentlich"
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"x" * len(content))  # same size as the verified blob
    for store, dest in _mirrored(tmp_path / "m", [("notiz.txt", "text/plain", content, True)]):
        with serving(create_app(store, files_dir=dest)) as server:
            record = next(store.iter_rows(type_name="File"))
            obj = requests.get(f"{server.url}/file/{url_key(record.id)}", timeout=10).json()
            assert requests.get(obj["accessUrl"], timeout=10).content == content  # snapshot built, served
            blob = _blob_path(dest, content)
            blob.unlink()
            blob.symlink_to(secret)
            swapped = requests.get(obj["accessUrl"], timeout=10)
            assert swapped.status_code == 404 and b"xxxx" not in swapped.content

            # A directory on the way swapped for a link to a copy elsewhere: refused as well.
            blob.unlink()
            elsewhere = tmp_path / "elsewhere"
            shutil.copytree(blob.parent, elsewhere)
            (elsewhere / blob.name).write_bytes(b"y" * len(content))
            shutil.rmtree(blob.parent)
            blob.parent.symlink_to(elsewhere)
            swapped = requests.get(obj["accessUrl"], timeout=10)
            assert swapped.status_code == 404 and b"yyyy" not in swapped.content


def test_a_link_in_the_blob_store_is_never_published(tmp_path: Path) -> None:
    content = b"%PDF-1.4 Niederschrift"
    for store, dest in _mirrored(tmp_path / "m", [("n.pdf", "application/pdf", tiny_pdf("Niederschrift"), True)]):
        blob = _blob_path(dest, tiny_pdf("Niederschrift"))
        outside = tmp_path / "outside.pdf"
        shutil.copyfile(blob, outside)
        blob.unlink()
        os.symlink(outside, blob)
        with serving(create_app(store, files_dir=dest)) as server:
            record = next(store.iter_rows(type_name="File"))
            obj = requests.get(f"{server.url}/file/{url_key(record.id)}", timeout=10).json()
        assert obj["accessUrl"] == record.data["accessUrl"]  # the source's URL, not a copy
        assert content  # the bytes of the link target were never offered
