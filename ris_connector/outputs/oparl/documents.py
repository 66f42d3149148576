"""Mirrored documents served by the OParl output: which Files have a verified copy, and the HTTP answer.

A File is served from the output when the mirror's last check of it succeeded
(``downloaded``/``unchanged``) and the blob named by the recorded SHA-256 exists below the
mirror directory with the recorded size. Nothing else on disk is ever read: the path is built
from the digest (64 hex digits), never from a stored path or from the request.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ris_connector.files.blobs import BlobStore
from ris_connector.files.entry import GENERATION_KEY, META_NAMESPACE, NAMESPACE, FileEntry
from ris_connector.store.base import Store

log = logging.getLogger(__name__)

#: Extension properties (vendor prefix ``ris:``) that keep the source's URLs of a File served from the output.
ORIGINAL_ACCESS_URL = "ris:originalAccessUrl"
ORIGINAL_DOWNLOAD_URL = "ris:originalDownloadUrl"

#: URL path words below ``<base>/file/<key>/``: inline and attachment.
ACCESS = "access"
DOWNLOAD = "download"

_CHUNK = 64 * 1024
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+$")
#: Types a browser would run script in: never shown inline, and sandboxed.
_ACTIVE = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class Document:
    """The verified copy of one published File."""

    sha256: str
    size: int
    content_type: str
    path: Path
    url_name: str
    """Last URL segment (ASCII, with an extension), also the file name in a static tree."""
    file_name: str
    """Name offered in ``Content-Disposition`` (the source's ``fileName`` where given)."""
    modified: datetime

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'


def generation(store: Store) -> str | None:
    """The mirror's change marker: it differs whenever a File's servable copy may have changed."""
    return store.kv_get(META_NAMESPACE, GENERATION_KEY)


def mirror_entries(store: Store) -> dict[str, FileEntry]:
    """File id -> mirror state, unreadable values skipped."""
    out: dict[str, FileEntry] = {}
    for key, value in store.kv_items(NAMESPACE).items():
        try:
            out[key] = FileEntry.from_json(value)
        except (ValueError, TypeError):
            log.warning("ignoring unreadable mirror state of %s", key)
    return out


def state_time(entry: FileEntry) -> datetime | None:
    """When what the output publishes for this File last changed because of the mirror.

    ``changed`` (stamped by the mirror); for state written before it existed, ``downloaded``.
    """
    for value in (entry.changed, entry.downloaded):
        if value:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def document_for(
    blobs: BlobStore, entry: FileEntry, data: Mapping[str, Any], fallback_time: datetime
) -> Document | None:
    """The servable copy of a File (``data`` = its stored JSON), None if there is none on disk."""
    sha = entry.servable_sha256
    if sha is None:
        return None
    path = blobs.path_of(sha)
    try:
        resolved = path.resolve(strict=True)
        size = resolved.stat().st_size
    except OSError:
        log.warning("File %s: the mirrored copy %s is missing; serving the source's URLs", entry.id, sha)
        return None
    if not resolved.is_relative_to(blobs.root) or not resolved.is_file():
        log.warning("File %s: %s is not a blob below %s; not served", entry.id, sha, blobs.root)
        return None
    if entry.size is not None and size != entry.size:
        log.warning("File %s: the copy %s has %d bytes, %d were verified; not served", entry.id, sha, size, entry.size)
        return None
    ctype = entry.content_type if entry.content_type and _MEDIA_TYPE.match(entry.content_type) else None
    ctype = ctype or "application/octet-stream"
    given = data.get("fileName") if isinstance(data.get("fileName"), str) else None
    name = data.get("name") if isinstance(data.get("name"), str) else None
    url_name = safe_name(given or name or "", ctype)
    modified = state_time(entry) or fallback_time
    return Document(sha, size, ctype, resolved, url_name, (given or url_name).strip() or url_name, modified)


def safe_name(name: str, content_type: str) -> str:
    """An ASCII file name for a URL segment and a static tree: no separators, an extension."""
    ascii_name = unicodedata.normalize("NFKD", name.replace("ß", "ss")).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("_", ascii_name).strip("._-")[:100] or "document"
    if "." not in cleaned[1:]:
        cleaned += mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return cleaned


def _disposition(kind: str, file_name: str, fallback: str) -> str:
    """``Content-Disposition`` with an ASCII name and the UTF-8 one (RFC 6266 / 8187)."""
    clean = "".join(ch for ch in file_name if ch.isprintable() and ch not in '"\\/') or fallback
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(clean, safe='')}"


def _not_modified(environ: Mapping[str, Any], doc: Document) -> bool:
    """RFC 9110 conditional GET: If-None-Match first; If-Modified-Since only without it."""
    inm = environ.get("HTTP_IF_NONE_MATCH")
    if inm is not None:
        tags = [t.strip() for t in str(inm).split(",")]
        return any(t == "*" or t.removeprefix("W/") == doc.etag for t in tags)
    ims = environ.get("HTTP_IF_MODIFIED_SINCE")
    if ims:
        try:
            since = parsedate_to_datetime(str(ims))
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return doc.modified.replace(microsecond=0) <= since
    return False


def serve(
    environ: Mapping[str, Any], start_response: StartResponse, doc: Document, *, attachment: bool
) -> Iterator[bytes]:
    """Answer a GET/HEAD for a mirrored document: 200 with the bytes, or 304."""
    headers = [
        ("ETag", doc.etag),
        ("Last-Modified", format_datetime(doc.modified.astimezone(timezone.utc), usegmt=True)),
        ("Cache-Control", "no-cache"),
        ("Access-Control-Allow-Origin", "*"),
    ]
    if _not_modified(environ, doc):
        start_response("304 Not Modified", headers)
        return iter(())
    active = doc.content_type.lower() in _ACTIVE  # could run script on the output's origin
    kind = "attachment" if attachment or active else "inline"
    headers += [
        ("Content-Type", doc.content_type),
        ("Content-Length", str(doc.size)),
        ("Content-Disposition", _disposition(kind, doc.file_name, doc.url_name)),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if active:
        headers.append(("Content-Security-Policy", "sandbox"))
    handle = doc.path.open("rb")  # opened before the status line: a vanished blob is a 404, not a broken 200
    start_response("200 OK", headers)
    if environ.get("REQUEST_METHOD") == "HEAD":
        handle.close()
        return iter(())
    return _chunks(handle)


def _chunks(handle: Any) -> Iterator[bytes]:
    with handle:
        while block := handle.read(_CHUNK):
            yield block
