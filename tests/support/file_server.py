"""A real file server on 127.0.0.1 for the document mirror tests: ETag/Last-Modified, 304, a request log.

``server.put("/files/a.pdf", body, content_type="application/pdf")`` publishes a file (its
ETag is derived from the body, so changing the body changes the ETag); any other path answers
404 with an HTML page. ``etag=False`` and ``last_modified=False`` switch the validators off.
Every request is logged with its status, the body bytes sent and its conditional headers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime

from ris_connector.models import File
from ris_connector.store import Store, WriteBatch
from ris_connector.testing import LocalServer, Reply, Request

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


class FileServer(LocalServer):
    """Serves published files with conditional GET (a LocalServer: port chosen by the system)."""

    def __init__(self) -> None:
        super().__init__(fallback=self._answer, name="file-server")
        self.files: dict[str, Published] = {}
        self._stamp = 1_700_000_000.0

    def _answer(self, request: Request) -> Reply:
        with self.lock:
            item = self.files.get(request.path)
        if item is None:
            return Reply(404, NOT_FOUND, "text/html")
        headers = {k: v for k, v in (("ETag", item.etag), ("Last-Modified", item.last_modified)) if v}
        inm, ims = request.header("If-None-Match"), request.header("If-Modified-Since")
        fresh = False
        if inm is not None and item.etag:
            fresh = inm == item.etag
        elif ims is not None and item.last_modified:
            fresh = parsedate_to_datetime(ims) >= parsedate_to_datetime(item.last_modified)
        return Reply(304, b"", None, headers) if fresh else Reply(200, item.body, item.content_type, headers)

    @property
    def log(self) -> list[Logged]:
        """Every answered request, in order."""
        with self.lock:
            answered = list(self.answered)
        return [
            Logged(
                s.request.path,
                s.status,
                s.sent,
                s.request.header("If-None-Match"),
                s.request.header("If-Modified-Since"),
            )
            for s in answered
        ]

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
        return [r for r in self.log if r.path == path]

    def clear_log(self) -> None:
        self.clear()


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
