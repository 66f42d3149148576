"""A real file server on 127.0.0.1 for the document mirror tests: ETag/Last-Modified, 304, a request log.

``server.put("/files/a.pdf", body, content_type="application/pdf")`` publishes a file (its
ETag is derived from the body, so changing the body changes the ETag); any other path answers
404 with an HTML page. ``etag=False`` and ``last_modified=False`` switch the validators off.
Every request is logged with its status, the body bytes sent and its conditional headers.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from ris_connector.models import File
from ris_connector.store import Store, WriteBatch

NOW = "2024-05-01T10:00:00+00:00"
NOT_FOUND = b"<!DOCTYPE html><html><body><h1>404 - Datei nicht gefunden</h1></body></html>"


@dataclass
class Published:
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Logged:
    """One answered request."""

    path: str
    status: int
    sent: int
    if_none_match: str | None
    if_modified_since: str | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        with owner.lock:
            item = owner.files.get(path)
        if item is None:
            self._answer(path, 404, NOT_FOUND, "text/html", {}, inm, ims)
            return
        headers = {}
        if item.etag:
            headers["ETag"] = item.etag
        if item.last_modified:
            headers["Last-Modified"] = item.last_modified
        fresh = False
        if inm is not None and item.etag:
            fresh = inm == item.etag
        elif ims is not None and item.last_modified:
            fresh = parsedate_to_datetime(ims) >= parsedate_to_datetime(item.last_modified)
        if fresh:
            self._answer(path, 304, b"", None, headers, inm, ims)
        else:
            self._answer(path, 200, item.body, item.content_type, headers, inm, ims)

    def _answer(
        self,
        path: str,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str],
        inm: str | None,
        ims: str | None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        with self.server.owner.lock:
            self.server.owner.log.append(Logged(path, status, len(body), inm, ims))

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FileServer


class FileServer:
    """Serves published files on 127.0.0.1 (port chosen by the system)."""

    def __init__(self) -> None:
        self.files: dict[str, Published] = {}
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None
        self._stamp = 1_700_000_000.0

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def put(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/pdf",
        *,
        etag: bool = True,
        last_modified: bool = True,
    ) -> None:
        """Publish (or replace) ``path``; a new body gets a new ETag and a later Last-Modified."""
        with self.lock:
            self._stamp += 60
            self.files[path] = Published(
                body,
                content_type,
                f'"{hashlib.sha1(body).hexdigest()[:16]}"' if etag else None,
                formatdate(self._stamp, usegmt=True) if last_modified else None,
            )

    def requests_for(self, path: str) -> list[Logged]:
        with self.lock:
            return [r for r in self.log if r.path == path]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def start(self) -> FileServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def put_files(store: Store, files: list[File], source: str = "test") -> None:
    """Write File records into ``store`` as a sync run would."""
    run_id = store.start_run(source, "test", full=False, started=NOW)
    batch = WriteBatch(source=source, run_id=run_id, now=NOW)
    for f in files:
        batch.upserts.append(
            (f.id, "File", f.content_hash(), f.model_dump_json(by_alias=True, exclude_none=True), False)
        )
    store.apply(batch)
    store.finish_run(run_id, status="complete", finished=NOW, report={})
