"""The file mirror: verified local copies of the documents behind ``File`` records, searchable by text.

Example::

    from ris_connector import open_store
    from ris_connector.files import FileMirror

    store = open_store("ris.db")
    mirror = FileMirror(store, "ris-files")
    report = mirror.run()                      # MirrorReport: downloaded, unchanged, failed by reason
    for file_id in mirror.search("Radweg"):
        print(file_id, mirror.path_for(file_id), mirror.content_type(file_id))
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from ris_connector.clock import Clock, SystemClock
from ris_connector.config import SourceConfig
from ris_connector.errors import StoreError
from ris_connector.files.blobs import BlobStore
from ris_connector.files.entry import (
    DOWNLOADED,
    GENERATION_KEY,
    META_NAMESPACE,
    NAMESPACE,
    UNCHANGED,
    FileEntry,
)
from ris_connector.files.fetch import Fetcher, Outcome
from ris_connector.files.hosts import ClientPool
from ris_connector.files.report import MirrorReport
from ris_connector.files.text import fold, pdf_support
from ris_connector.http import HttpSettings
from ris_connector.models import File
from ris_connector.store import Store

log = logging.getLogger("ris_connector.files")

#: Where files go when no destination is given.
DEFAULT_DEST = "ris-connector-files"

ProgressFn = Callable[[str, int], None]


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class FileMirror:
    """Downloads, verifies and indexes the files of the ``File`` records in a store.

    State lives in the store's key-value table (namespace ``files``, key = File id), so it
    works with every store backend; the bytes live content-addressed under ``dest``.
    """

    def __init__(
        self,
        store: Store,
        dest: str | os.PathLike[str] = DEFAULT_DEST,
        *,
        sources: Iterable[SourceConfig] = (),
        http: HttpSettings | None = None,
        max_bytes: int | None = None,
        workers: int = 4,
        extract_text: bool = True,
        clock: Clock | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.store = store
        self.blobs = BlobStore(dest)
        self._sources = list(sources)
        self._http = http
        self._max_bytes = max_bytes
        self._workers = workers
        self._extract_text = extract_text
        self._clock = clock or SystemClock()

    # --- mirroring -----------------------------------------------------------------------------

    def run(
        self,
        *,
        since: datetime | None = None,
        source: str | None = None,
        ids: Iterable[str] | None = None,
        progress: ProgressFn | None = None,
    ) -> MirrorReport:
        """Check every live File (or those of ``source``, modified at/after ``since``, or ``ids``).

        Unchanged files cost one conditional request (answered 304 by servers that support it).
        Source trouble never raises: it ends in the report and as ``failed:<reason>``.
        """
        started = time.monotonic()
        report = MirrorReport()
        wanted = set(ids) if ids is not None else None
        previous = self.entries()
        pdf = pdf_support()
        if self._extract_text and not pdf:
            log.info("pypdf is not installed (pip install ris-connector[pdf]): no text extraction")
        fetcher = Fetcher(self.blobs, now=self._now, extract_text=self._extract_text, pdf_text=pdf)
        pool = ClientPool(self._sources, settings=self._http, max_bytes=self._max_bytes)
        try:
            with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="files") as executor:
                futures: dict[Future[Outcome], str] = {}
                for record, src in self._records(source, since, wanted):
                    client = pool.client_for(src, record.id)
                    fut = executor.submit(fetcher.check, record, src, previous.get(record.id), client)
                    futures[fut] = record.id
                report.checked = len(futures)
                try:
                    for done, fut in enumerate(as_completed(futures), 1):
                        self._tally(report, fut.result(), previous)
                        if progress:
                            progress("files", done)
                except BaseException:
                    for fut in futures:
                        fut.cancel()
                    raise
        except OSError as exc:
            raise StoreError(f"cannot write files under {self.blobs.root}: {exc}") from exc
        finally:
            report.requests, report.bytes = pool.totals()
            pool.close()
            self._bump_generation()
            report.duration_s = time.monotonic() - started
        return report

    def _records(
        self, source: str | None, since: datetime | None, wanted: set[str] | None
    ) -> Iterable[tuple[File, str]]:
        for row in self.store.iter_rows(type_name="File", source=source):
            if wanted is not None and row.id not in wanted:
                continue
            if since is not None:
                modified = _parse_time(row.data.get("modified"))
                if modified is not None and modified < since:
                    continue
            try:
                record = row.to_record()
            except ValidationError as exc:
                log.warning("File %s of %s skipped: stored data is invalid: %s", row.id, row.source, exc)
                continue
            if isinstance(record, File):
                yield record, row.source

    def _tally(self, report: MirrorReport, outcome: Outcome, previous: dict[str, FileEntry]) -> None:
        entry = outcome.entry
        before = previous.get(entry.id)
        moved = entry.servable_sha256 != (before.servable_sha256 if before else None)
        if moved:
            entry = replace(entry, changed=self._now())
        self.store.kv_set(NAMESPACE, entry.id, entry.to_json())
        if moved:
            self._bump_generation()
        if entry.status == DOWNLOADED:
            report.downloaded += 1
        elif entry.status == UNCHANGED:
            report.unchanged += 1
        else:
            report.add_failure(entry.id, entry.reason or "error", entry.error or "")
        if entry.ok and entry.repair:
            report.repaired[entry.repair] += 1
        report.text_extracted += int(outcome.text_extracted)

    def _bump_generation(self) -> None:
        """Tell servers of the mirror (the OParl output) to re-read the state."""
        self.store.kv_set(META_NAMESPACE, GENERATION_KEY, uuid.uuid4().hex)

    def _now(self) -> str:
        return self._clock.now().astimezone(timezone.utc).isoformat(timespec="seconds")

    # --- reading -------------------------------------------------------------------------------

    def entries(self) -> dict[str, FileEntry]:
        """File id -> mirror state of every File checked so far."""
        out: dict[str, FileEntry] = {}
        for key, value in self.store.kv_items(NAMESPACE).items():
            try:
                out[key] = FileEntry.from_json(value)
            except (ValueError, TypeError):
                log.warning("ignoring unreadable mirror state of %s", key)
        return out

    def entry(self, file_id: str) -> FileEntry | None:
        """The mirror state of one File (by id or alias), None if it was never checked."""
        value = self.store.kv_get(NAMESPACE, file_id)
        if value is None:
            row = self.store.get(file_id)
            if row is None or row.id == file_id:
                return None
            value = self.store.kv_get(NAMESPACE, row.id)
            if value is None:
                return None
        try:
            return FileEntry.from_json(value)
        except (ValueError, TypeError):
            return None

    def path_for(self, file_id: str) -> Path | None:
        """The local copy of a File: the last one that passed every check, None if there is none."""
        entry = self.entry(file_id)
        if entry is None or not entry.path:
            return None
        path = Path(entry.path)
        return path if path.is_file() else None

    def content_type(self, file_id: str) -> str | None:
        """The media type to serve the local copy with (the declared mimeType, checked by sniffing)."""
        entry = self.entry(file_id)
        return entry.content_type if entry and entry.path else None

    def text(self, file_id: str) -> str | None:
        """The File's text: ``File.text`` from the source, else the text extracted from its PDF."""
        row = self.store.get(file_id)
        if row is not None and row.data.get("text"):
            return str(row.data["text"])
        entry = self.entry(file_id)
        if entry is None or not entry.text_path:
            return None
        try:
            return Path(entry.text_path).read_text(encoding="utf-8")
        except OSError:
            return None

    def search(self, query: str, *, source: str | None = None, limit: int | None = None) -> list[str]:
        """Ids of live Files whose name, file name or text contains every word of ``query``.

        Case and Unicode forms are ignored (``radweg`` finds ``Radweg``, ``STRAßE`` finds
        ``Strasse``); words match anywhere, also inside longer words. It scans every File:
        simple and exact, fine for a municipality's tens of thousands of documents.
        """
        terms = fold(query).split()
        if not terms:
            return []
        entries = self.entries()
        found: list[str] = []
        for row in self.store.iter_rows(type_name="File", source=source):
            data = row.data
            parts = [str(data.get(k) or "") for k in ("name", "fileName", "text")]
            entry = entries.get(row.id)
            if not data.get("text") and entry is not None and entry.text_path:
                with contextlib.suppress(OSError):
                    parts.append(Path(entry.text_path).read_text(encoding="utf-8"))
            haystack = fold(" ".join(parts))
            if all(term in haystack for term in terms):
                found.append(row.id)
                if limit is not None and len(found) >= limit:
                    break
        return found
