"""The document mirror end to end: real HTTP on 127.0.0.1, real PDFs, a real SQLite store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from ris_connector.config import source_from_mapping
from ris_connector.files import FileMirror
from ris_connector.models import File
from ris_connector.sample.documents import tiny_pdf
from ris_connector.store import SQLiteStore
from tests.support.file_server import FileServer, put_files

FAST = {"rate_limit": 0, "backoff_initial": 0.01, "backoff_max": 0.05, "read_timeout": 5, "max_attempts": 2}
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Fehler</title></head><body><h1>Es ist ein Fehler aufgetreten"
    b"</h1><p>Die Seite konnte nicht angezeigt werden.</p></body></html>"
)


def mirror(store: SQLiteStore, dest: Path, **kwargs: object) -> FileMirror:
    from ris_connector.http import HttpSettings

    return FileMirror(store, dest, http=HttpSettings(**FAST), **kwargs)  # type: ignore[arg-type]


def blobs(dest: Path) -> list[Path]:
    return sorted(p for p in (dest / "sha256").rglob("*") if p.is_file()) if (dest / "sha256").exists() else []


def test_pdf_is_downloaded_verified_stored_by_content_and_searchable(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    body = tiny_pdf("Ausbau Radweg Hauptstraße", "Beschlussvorlage")
    files_server.put("/files/1.pdf", body)
    add_file(1, "/files/1.pdf", sha1_checksum=hashlib.sha1(body).hexdigest(), name="Vorlage 1")
    m = mirror(store, tmp_path / "files")
    report = m.run()
    assert (report.checked, report.downloaded, report.failed_total) == (1, 1, 0)
    fid = files_server.url("/oparl/files/1")
    entry = m.entry(fid)
    assert entry is not None and entry.status == "downloaded" and entry.checksum == "sha1"
    sha = hashlib.sha256(body).hexdigest()
    path = m.path_for(fid)
    assert path == (tmp_path / "files" / "sha256" / sha[:2] / sha[2:4] / sha).resolve()
    assert path.read_bytes() == body
    assert m.content_type(fid) == "application/pdf"
    assert entry.size == len(body) and entry.etag and entry.last_modified
    # text extracted with pypdf, kept beside the blob, searchable case-insensitively
    assert entry.text == "extracted" and "Radweg" in (m.text(fid) or "")
    assert m.search("radweg") == [fid]
    assert m.search("RADWEG hauptstrasse") == [fid]  # case-folded: ß matches ss
    assert m.search("Radweg Rathaus") == []  # every word must occur
    assert m.search("Radweg Hauptstraße") == [fid]
    assert m.search("Schwimmbad") == []
    # kept in the store's key-value table, readable by any other process
    assert fid in store.kv_items("files")


def test_html_error_page_served_as_pdf_is_rejected(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    files_server.put("/files/2.pdf", HTML_ERROR, "application/pdf")
    add_file(2, "/files/2.pdf")
    m = mirror(store, tmp_path / "files")
    report = m.run()
    assert report.failed == {"html-error-page": 1}
    fid = files_server.url("/oparl/files/2")
    assert m.entry(fid).status == "failed:html-error-page"
    assert m.path_for(fid) is None and blobs(tmp_path / "files") == []
    assert not list((tmp_path / "files" / "tmp").iterdir())  # no temporary file left behind


def test_content_mismatch_and_octetstream_content_type(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    """A DOCX that is really a PDF fails; quirk 10 (octetstream content type) is ignored."""
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    files_server.put("/files/3.docx", tiny_pdf("x"), docx)
    add_file(3, "/files/3.docx", mime_type=docx)
    files_server.put("/files/4.pdf", tiny_pdf("y"), "application/octetstream; charset=UTF-8")
    add_file(4, "/files/4.pdf")
    m = mirror(store, tmp_path / "files")
    report = m.run()
    assert report.failed == {"content-mismatch": 1} and report.downloaded == 1
    assert m.content_type(files_server.url("/oparl/files/4")) == "application/pdf"


def test_checksum_mismatch_keeps_nothing(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    body = tiny_pdf("Haushalt 2024")
    files_server.put("/files/5.pdf", body)
    add_file(5, "/files/5.pdf", sha512_checksum=hashlib.sha512(b"something else").hexdigest())
    m = mirror(store, tmp_path / "files")
    report = m.run()
    assert report.failed == {"checksum-mismatch": 1}
    assert "sha512" in report.failures[0]["message"]
    assert m.path_for(files_server.url("/oparl/files/5")) is None and blobs(tmp_path / "files") == []


def test_changed_file_is_downloaded_again(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    files_server.put("/files/6.pdf", tiny_pdf("Entwurf Radweg"))
    add_file(6, "/files/6.pdf")
    m = mirror(store, tmp_path / "files")
    assert m.run().downloaded == 1
    fid = files_server.url("/oparl/files/6")
    old_etag = m.entry(fid).etag
    new = tiny_pdf("Beschlossen: Schwimmbad")
    files_server.put("/files/6.pdf", new)  # new body, new ETag
    files_server.clear_log()
    report = m.run()
    assert (report.downloaded, report.unchanged) == (1, 0)
    [req] = files_server.requests_for("/files/6.pdf")
    assert req.if_none_match == old_etag and req.status == 200
    assert m.path_for(fid).read_bytes() == new
    assert m.search("Schwimmbad") == [fid] and m.search("Entwurf") == []


def test_broken_vendor_urls_are_repaired(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    """Quirk rows 8 (``files//rim``) and 9 (``x.eml.eml`` 404, real ``x.eml.pdf``)."""
    files_server.put("/files/rim/7.pdf", tiny_pdf("doppelter Schrägstrich"))
    add_file(7, "/files//rim/7.pdf")
    files_server.put("/files/8.eml.pdf", tiny_pdf("Anlage als E-Mail"))
    add_file(8, "/files/8.eml.eml", mime_type="application/pdf")
    m = mirror(store, tmp_path / "files")
    report = m.run()
    assert report.downloaded == 2 and report.failed_total == 0
    assert report.repaired == {"double-slash": 1, "doubled-extension": 1}
    assert files_server.requests_for("/files//rim/7.pdf") == []  # the broken URL is never sent
    assert [r.status for r in files_server.requests_for("/files/8.eml.eml")] == [404]
    assert m.entry(files_server.url("/oparl/files/8")).url == files_server.url("/files/8.eml.pdf")
    # the next run asks the working URL directly, conditionally
    files_server.clear_log()
    again = m.run()
    assert again.unchanged == 2
    assert [(r.path, r.status) for r in sorted(files_server.log, key=lambda r: r.path)] == [
        ("/files/8.eml.pdf", 304),
        ("/files/rim/7.pdf", 304),
    ]


def test_access_url_used_when_download_url_is_gone(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    files_server.put("/view/9.pdf", tiny_pdf("Niederschrift"))
    add_file(9, "/download/9.pdf", "/view/9.pdf")
    add_file(10, "/download/10.pdf", "/view/10.pdf")
    m = mirror(store, tmp_path / "files")
    report = m.run()
    assert report.downloaded == 1 and report.failed == {"not-found": 1}
    assert m.entry(files_server.url("/oparl/files/9")).url == files_server.url("/view/9.pdf")


def test_second_run_downloads_nothing_that_did_not_change(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    """ETag, Last-Modified only, and no validators at all: 304s, and no new download either way."""
    files_server.put("/a.pdf", tiny_pdf("A"))
    files_server.put("/b.pdf", tiny_pdf("B"), etag=False)
    files_server.put("/c.pdf", tiny_pdf("C"), etag=False, last_modified=False)
    files_server.put("/d.pdf", HTML_ERROR)
    for n, p in enumerate(("/a.pdf", "/b.pdf", "/c.pdf", "/d.pdf")):
        add_file(20 + n, p)
    m = mirror(store, tmp_path / "files")
    first = m.run()
    assert (first.downloaded, first.failed_total) == (3, 1)
    stored = {p.name: p.stat().st_mtime_ns for p in blobs(tmp_path / "files")}
    files_server.clear_log()
    second = m.run()
    assert (second.downloaded, second.unchanged, second.failed_total) == (0, 3, 1)
    by_path = {r.path: r for r in files_server.log}
    assert by_path["/a.pdf"].status == 304 and by_path["/a.pdf"].if_none_match
    assert by_path["/b.pdf"].status == 304 and by_path["/b.pdf"].if_modified_since
    assert by_path["/a.pdf"].sent == by_path["/b.pdf"].sent == 0
    assert by_path["/c.pdf"].status == 200  # no validators: fetched, found identical
    assert len(files_server.log) == 4
    assert {p.name: p.stat().st_mtime_ns for p in blobs(tmp_path / "files")} == stored


def test_source_text_is_used_instead_of_extraction(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    files_server.put("/t.pdf", tiny_pdf("nur Bild"))
    add_file(30, "/t.pdf", text="Beschluss zum Radweg am Markt")
    m = mirror(store, tmp_path / "files")
    m.run()
    fid = files_server.url("/oparl/files/30")
    assert m.entry(fid).text == "source"
    assert m.text(fid) == "Beschluss zum Radweg am Markt"
    assert m.search("radweg markt") == [fid]
    assert not (tmp_path / "files" / "text").exists()


def test_size_limit(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path
) -> None:
    files_server.put("/big.pdf", tiny_pdf("x" * 4000))
    add_file(40, "/big.pdf")
    report = mirror(store, tmp_path / "files", max_bytes=1000).run()
    assert report.failed == {"too-large": 1}


def test_hosts_allowed_only_by_id_host_or_source_config(
    store: SQLiteStore, files_server: FileServer, tmp_path: Path
) -> None:
    """Without config a File may only come from its id's host; ``allowed_hosts`` widens that."""
    files_server.put("/other.pdf", tiny_pdf("anderer Host"))
    other_host = files_server.url("/other.pdf").replace("127.0.0.1", "localhost")
    record = File(id=files_server.url("/oparl/files/50"), download_url=other_host, mime_type="application/pdf")
    put_files(store, [record], source="kreis")
    report = mirror(store, tmp_path / "files").run()
    assert report.failed == {"forbidden-host": 1}
    assert files_server.log == []
    config = source_from_mapping(
        {
            "name": "kreis",
            "adapter": "oparl",
            "url": files_server.url("/oparl/system"),
            "http": {**FAST, "allowed_hosts": ["localhost"]},
        }
    )
    report = FileMirror(store, tmp_path / "files", sources=[config]).run()
    assert report.downloaded == 1


@pytest.mark.parametrize("workers", [1, 4])
def test_many_files_with_threads(
    store: SQLiteStore, files_server: FileServer, add_file: Callable[..., object], tmp_path: Path, workers: int
) -> None:
    for n in range(12):
        files_server.put(f"/m/{n}.pdf", tiny_pdf(f"Dokument {n}"))
        add_file(100 + n, f"/m/{n}.pdf")
    m = mirror(store, tmp_path / "files", workers=workers)
    assert m.run().downloaded == 12
    assert len(m.search("dokument")) == 12 and m.search("Dokument 7") == [files_server.url("/oparl/files/107")]
