"""Mirrored documents served by the OParl output: which Files have a verified copy, and the HTTP answer.

A File is served from the output when the mirror's last check of it succeeded
(``downloaded``/``unchanged``) and the blob named by the recorded SHA-256 exists below the
mirror directory with the recorded size. Nothing else on disk is ever read: the path is built
from the digest (64 hex digits), never from a stored path or from the request, and it is opened
at every request one directory at a time without following a symbolic link (a link swapped in
after the snapshot was built is refused, not followed).

The bytes come from sources other people run, so the answer is built for hostile content: only
PDF, common images (PNG, JPEG, GIF, WebP) and plain text are shown inline; everything else
(HTML, SVG, XML, ``application/rss+xml``, ``application/pdf+xml``, ...) is an attachment. Every
answer says ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox``, so
even a type the browser would render cannot run script on the endpoint's origin.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from ris_connector.files.blobs import BlobStore
from ris_connector.files.entry import GENERATION_KEY, META_NAMESPACE, NAMESPACE, FileEntry
from ris_connector.models import URL_JSON_FIELDS
from ris_connector.store.base import Store
from ris_connector.urlsafe import URL

log = logging.getLogger(__name__)

#: Extension properties (vendor prefix ``ris:``) that keep the source's URLs of a File served from the output.
ORIGINAL_ACCESS_URL = "ris:originalAccessUrl"
ORIGINAL_DOWNLOAD_URL = "ris:originalDownloadUrl"

#: JSON name -> kind of every URL-valued key of a published object: checked again before
#: publishing (``ris_connector.urlsafe``), for data stored before the engine checked URLs.
OUTPUT_URL_FIELDS: tuple[tuple[str, str], ...] = (
    *URL_JSON_FIELDS.items(),
    (ORIGINAL_ACCESS_URL, URL),
    (ORIGINAL_DOWNLOAD_URL, URL),
)

#: URL path words below ``<base>/file/<key>/``: inline and attachment.
ACCESS = "access"
DOWNLOAD = "download"

_CHUNK = 64 * 1024
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+")
#: The only types shown inline (an allowlist: a browser renders none of them as a document
#: that runs script); every other type is sent as an attachment.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
#: Sent with every answer of a mirrored document.
SAFETY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Content-Security-Policy", "sandbox"))
_DIGEST = re.compile(r"[0-9a-f]{64}")
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_DIRECTORY
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class Document:
    """The verified copy of one published File."""

    sha256: str
    size: int
    content_type: str
    path: Path
    """The blob below ``root`` (a regular file, no link on the way when the snapshot was built)."""
    url_name: str
    """Last URL segment (ASCII, with an extension), also the file name in a static tree."""
    file_name: str
    """Name offered in ``Content-Disposition`` (the source's ``fileName`` where given)."""
    modified: datetime
    root: Path | None = None
    """The blob store's directory; the copy is opened below it at every request."""

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'

    def open(self) -> BinaryIO:
        """The blob, opened without following links and checked again (OSError if it is no
        longer the verified regular file of ``size`` bytes below ``root``)."""
        if self.root is None:
            raise OSError(f"{self.sha256}: no blob store")
        fd = open_blob(self.root, self.sha256)
        try:
            info = os.fstat(fd)
            if info.st_size != self.size:
                raise OSError(f"{self.sha256}: {info.st_size} bytes, {self.size} were verified")
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise


def open_blob(root: Path, sha256: str) -> int:
    """A read descriptor of the blob ``sha256`` below ``root``, or OSError.

    Each directory on the way and the file itself are opened with ``O_NOFOLLOW`` relative to
    the one before, so a symbolic link anywhere below ``root`` is refused (ELOOP/ENOTDIR); the
    file must be a regular file, and its resolved path must lie inside ``root``.
    """
    if not _DIGEST.fullmatch(sha256):
        raise OSError(f"not a SHA-256 digest: {sha256[:80]!r}")
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in ("sha256", sha256[:2], sha256[2:4]):
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        blob = os.open(sha256, _OPEN_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)
    try:
        if not stat.S_ISREG(os.fstat(blob).st_mode):
            raise OSError(f"{sha256}: not a regular file")
        where = Path(f"/proc/self/fd/{blob}")
        if where.is_symlink() and not where.readlink().is_relative_to(root):
            raise OSError(f"{sha256}: resolves outside {root}")
    except BaseException:
        os.close(blob)
        raise
    return blob


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
    try:
        fd = open_blob(blobs.root, sha)
    except OSError as exc:
        log.warning(
            "File %s: no servable copy %s below %s (%s); serving the source's URLs", entry.id, sha, blobs.root, exc
        )
        return None
    try:
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if entry.size is not None and size != entry.size:
        log.warning("File %s: the copy %s has %d bytes, %d were verified; not served", entry.id, sha, size, entry.size)
        return None
    ctype = entry.content_type if entry.content_type and _MEDIA_TYPE.fullmatch(entry.content_type) else None
    ctype = ctype or "application/octet-stream"
    given = data.get("fileName") if isinstance(data.get("fileName"), str) else None
    name = data.get("name") if isinstance(data.get("name"), str) else None
    url_name = safe_name(given or name or "", ctype)
    modified = state_time(entry) or fallback_time
    path = blobs.path_of(sha)
    return Document(sha, size, ctype, path, url_name, (given or url_name).strip() or url_name, modified, blobs.root)


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
        *SAFETY_HEADERS,
    ]
    if _not_modified(environ, doc):
        start_response("304 Not Modified", headers)
        return iter(())
    inline = not attachment and doc.content_type.lower() in INLINE_TYPES
    headers += [
        ("Content-Type", doc.content_type),
        ("Content-Length", str(doc.size)),
        ("Content-Disposition", _disposition("inline" if inline else "attachment", doc.file_name, doc.url_name)),
    ]
    handle = doc.open()  # before the status line, at every request: a vanished or swapped blob is a 404
    start_response("200 OK", headers)
    if environ.get("REQUEST_METHOD") == "HEAD":
        handle.close()
        return iter(())
    return _chunks(handle)


def _chunks(handle: Any) -> Iterator[bytes]:
    with handle:
        while block := handle.read(_CHUNK):
            yield block
