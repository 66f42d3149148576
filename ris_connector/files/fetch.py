"""Fetching one File: conditional GET, URL repairs, sniffing, checksum, storage, text."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ris_connector.errors import (
    ConnectionFailed,
    ForbiddenUrl,
    HttpStatusError,
    NotFound,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    ServerError,
    SourceError,
    TooManyRedirects,
    redact_url,
)
from ris_connector.files.blobs import BlobStore, digests, read_head
from ris_connector.files.entry import DOWNLOADED, FAILED, UNCHANGED, FileEntry
from ris_connector.files.sniff import HEAD_BYTES, check_content, effective_type, expected_family, sniff
from ris_connector.files.text import extract_pdf_text
from ris_connector.files.urls import Candidate, candidates
from ris_connector.http import HttpClient
from ris_connector.models import File

log = logging.getLogger("ris_connector.files")

#: Reasons that say nothing specific; a more specific reason from another URL wins.
_WEAK = frozenset({"not-found", "forbidden-host"})


class _Failure(Exception):
    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass
class Outcome:
    """The result of checking one File."""

    entry: FileEntry
    text_extracted: bool = False


def _reason(exc: SourceError) -> str:
    if isinstance(exc, NotFound):
        return "not-found"
    if isinstance(exc, HttpStatusError):
        return f"http-{exc.status}"
    for cls, name in (
        (ForbiddenUrl, "forbidden-host"),
        (ResponseTooLarge, "too-large"),
        (RateLimited, "rate-limited"),
        (ServerError, "server-error"),
        (RequestTimeout, "timeout"),
        (ConnectionFailed, "connection-failed"),
        (TooManyRedirects, "redirects"),
    ):
        if isinstance(exc, cls):
            return name
    return "error"


class Fetcher:
    """Checks Files against their source and keeps verified copies in a :class:`BlobStore`."""

    def __init__(self, blobs: BlobStore, *, now: Callable[[], str], extract_text: bool, pdf_text: bool) -> None:
        self.blobs = blobs
        self._now = now
        self._extract = extract_text and pdf_text

    def check(self, record: File, source: str, previous: FileEntry | None, client: HttpClient | None) -> Outcome:
        """Check one File; never raises for source trouble (the entry says ``failed:<reason>``)."""
        now = self._now()
        base = previous or FileEntry(id=record.id, source=source, status=FAILED, checked=now)
        base = replace(base, source=source, checked=now, error=None)
        urls = candidates(record.download_url, record.access_url)
        if not urls:
            return Outcome(self._failed(base, "no-url", "the File has neither downloadUrl nor accessUrl"))
        if client is None:
            return Outcome(
                self._failed(
                    base, "forbidden-host", "no allowed host: the id has no http(s) host; configure the source"
                )
            )
        failures: list[_Failure] = []
        tried: set[str] = set()
        for cand in self._ordered(urls, previous):
            chain: list[Candidate] = [cand] + ([cand.fallback] if cand.fallback else [])
            for step in chain:
                if step.url in tried:
                    continue
                tried.add(step.url)
                try:
                    return self._try(record, step, base, previous, client)
                except _Failure as fail:
                    failures.append(fail)
                    if fail.reason == "not-found":
                        continue  # the repaired fallback, if any
                    break
                except SourceError as exc:
                    reason = _reason(exc)
                    failures.append(_Failure(reason, str(exc)))
                    if reason == "not-found":
                        continue
                    if reason not in ("forbidden-host",) and not reason.startswith("http-"):
                        return Outcome(self._failed(base, reason, str(exc)))
                    break
        chosen = next((f for f in failures if f.reason not in _WEAK), failures[0])
        return Outcome(self._failed(base, chosen.reason, str(chosen)))

    @staticmethod
    def _ordered(urls: list[Candidate], previous: FileEntry | None) -> list[Candidate]:
        """The URL that delivered the stored copy first, so an unchanged file costs one request."""
        if previous is None or not previous.url:
            return urls
        for cand in urls:
            if cand.url == previous.url:
                return [cand] + [c for c in urls if c is not cand]
            if cand.fallback and cand.fallback.url == previous.url:
                return [cand.fallback, *urls]
        return urls

    def _failed(self, base: FileEntry, reason: str, message: str) -> FileEntry:
        log.warning("file %s failed (%s): %s", base.id, reason, message)
        return replace(base, status=f"{FAILED}:{reason}", error=message[:500])

    def _try(
        self, record: File, cand: Candidate, base: FileEntry, previous: FileEntry | None, client: HttpClient
    ) -> Outcome:
        headers: dict[str, str] = {}
        have_copy = bool(previous and previous.path and previous.sha256 and Path(previous.path).is_file())
        if previous is not None and have_copy and previous.url == cand.url:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        sink = self.blobs.temp()
        temp = Path(sink.name)
        try:
            with sink:
                response = client.download(cand.url, sink, headers=headers)
            if response.status == 304:
                entry = replace(base, status=UNCHANGED)
                return self._with_text(record, entry, previous)
            return self._store(record, cand, base, previous, temp, response.headers)
        finally:
            temp.unlink(missing_ok=True)

    def _store(
        self,
        record: File,
        cand: Candidate,
        base: FileEntry,
        previous: FileEntry | None,
        temp: Path,
        headers: Mapping[str, str],
    ) -> Outcome:
        get = headers.get
        shown = redact_url(cand.url)
        head = read_head(temp, HEAD_BYTES)
        expected = expected_family(record.mime_type, record.file_name, cand.url)
        bad = check_content(head, expected)
        if bad:
            found = sniff(head) or "unrecognized"
            raise _Failure(bad, f"{shown}: expected {expected} ({record.mime_type or 'by file name'}), got {found}")
        names: tuple[str, ...] = ("sha256",)
        if record.sha512_checksum:
            names += ("sha512",)
        elif record.sha1_checksum:
            names += ("sha1",)
        sums = digests(temp, names)
        checksum = None
        for name, given in (("sha512", record.sha512_checksum), ("sha1", record.sha1_checksum)):
            if name in sums and given:
                if sums[name] != given.strip().lower():
                    raise _Failure(
                        "checksum-mismatch", f"{shown}: {name} is {sums[name]}, the source says {given.strip()}"
                    )
                checksum = name
        sha256 = sums["sha256"]
        size = temp.stat().st_size
        path = self.blobs.put(temp, sha256)
        same = previous is not None and previous.sha256 == sha256
        entry = replace(
            base,
            status=UNCHANGED if same else DOWNLOADED,
            url=cand.url,
            repair=cand.repair,
            sha256=sha256,
            size=size,
            path=str(path),
            content_type=effective_type(record.mime_type, get("content-type"), head),
            checksum=checksum,
            etag=get("etag"),
            last_modified=get("last-modified"),
            downloaded=previous.downloaded if same and previous else base.checked,
        )
        if cand.repair:
            log.info("file %s: URL repaired (%s): %s", record.id, cand.repair, shown)
        return self._with_text(record, entry, previous)

    def _with_text(self, record: File, entry: FileEntry, previous: FileEntry | None) -> Outcome:
        """Use File.text from the source, else extract (once per content) from a PDF."""
        if record.text:
            return Outcome(replace(entry, text="source", text_path=None))
        if entry.content_type != "application/pdf" or not entry.sha256 or not entry.path:
            return Outcome(replace(entry, text=None, text_path=None))
        target = self.blobs.text_path_of(entry.sha256)
        if target.is_file():
            return Outcome(replace(entry, text="extracted", text_path=str(target)))
        same = previous is not None and previous.sha256 == entry.sha256
        if not self._extract or (same and previous is not None and previous.text == "failed"):
            return Outcome(replace(entry, text=previous.text if same and previous else None, text_path=None))
        try:
            text = extract_pdf_text(Path(entry.path))
        except ValueError as exc:
            log.warning("file %s: no text extracted: %s", record.id, exc)
            return Outcome(replace(entry, text="failed", text_path=None))
        path = self.blobs.put_text(entry.sha256, text)
        return Outcome(replace(entry, text="extracted", text_path=str(path)), text_extracted=True)
