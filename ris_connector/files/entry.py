"""What the store keeps per mirrored File (key-value namespace ``files``, one JSON value per File id)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

#: The key-value namespace of the mirror state; the key is the File id.
NAMESPACE = "files"
#: Namespace and key of a marker the mirror rewrites whenever what may be served changed, so that
#: a server (the OParl output) knows when to re-read the mirror state.
META_NAMESPACE = "files.meta"
GENERATION_KEY = "generation"

_SHA256 = re.compile(r"[0-9a-f]{64}")

DOWNLOADED = "downloaded"
UNCHANGED = "unchanged"
FAILED = "failed"


@dataclass
class FileEntry:
    """The mirror state of one File record.

    ``status`` is the outcome of the last check: ``downloaded``, ``unchanged`` or
    ``failed:<reason>``. ``path``/``sha256``/``size``/``content_type`` describe the last copy that
    passed every check; a later failed check keeps it (``path_for`` still serves it).
    """

    id: str
    source: str
    status: str
    checked: str
    """When the file was last checked (ISO 8601, UTC)."""
    url: str | None = None
    """The URL that delivered the stored copy (after repairs); asked first next time."""
    repair: str | None = None
    """The URL repair that was needed (``double-slash``, ``doubled-extension``), if any."""
    sha256: str | None = None
    size: int | None = None
    path: str | None = None
    """Absolute path of the stored copy (content-addressed: ``DEST/sha256/ab/cd/<sha256>``)."""
    content_type: str | None = None
    checksum: str | None = None
    """Which source checksum was verified (``sha512``, ``sha1``), None if the source gave none."""
    etag: str | None = None
    last_modified: str | None = None
    downloaded: str | None = None
    """When the stored copy was fetched."""
    text: str | None = None
    """Where the text comes from: ``source`` (File.text), ``extracted`` (PDF), ``failed``, None."""
    text_path: str | None = None
    error: str | None = None
    """The message of the last failure."""
    changed: str | None = None
    """When :attr:`servable_sha256` last changed (ISO 8601, UTC): a first or new verified copy, or
    the last check failing or succeeding again. Servers raise the File's ``modified`` to it."""

    @property
    def ok(self) -> bool:
        """Whether the last check succeeded."""
        return not self.status.startswith(FAILED)

    @property
    def servable_sha256(self) -> str | None:
        """The digest of the copy a server may publish: the last check succeeded and named a blob."""
        return self.sha256 if self.ok and self.sha256 and _SHA256.fullmatch(self.sha256) else None

    @property
    def reason(self) -> str | None:
        """The failure reason (``status`` without ``failed:``), None when the last check succeeded."""
        return None if self.ok else (self.status.partition(":")[2] or None)

    def to_json(self) -> str:
        """The value stored in the key-value table."""
        data = {k: v for k, v in asdict(self).items() if v is not None}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FileEntry:
        """Read a stored value (unknown keys from newer versions are ignored)."""
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
