"""Content-addressed file storage on disk: ``ROOT/sha256/ab/cd/<sha256>`` plus extracted text."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

_BLOCK = 1024 * 1024


class BlobStore:
    """Files named by the SHA-256 of their bytes; identical documents are stored once."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self._tmp = self.root / "tmp"

    def path_of(self, sha256: str) -> Path:
        """Where the blob with this digest lives."""
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def text_path_of(self, sha256: str) -> Path:
        """Where the extracted text of the blob with this digest lives."""
        return self.root / "text" / sha256[:2] / sha256[2:4] / f"{sha256}.txt"

    def temp(self) -> IO[bytes]:
        """An open temporary file on the same file system (so that :meth:`put` is a rename)."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=self._tmp, prefix="dl-", delete=False)

    def put(self, temp_path: Path, sha256: str) -> Path:
        """Move a finished temporary file into place (atomic); drop it if the blob exists."""
        target = self.path_of(sha256)
        if target.exists():
            temp_path.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        temp_path.replace(target)
        return target

    def put_text(self, sha256: str, text: str) -> Path:
        """Store extracted text for a blob (atomic)."""
        target = self.text_path_of(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_suffix(".part")
        part.write_text(text, encoding="utf-8")
        part.replace(target)
        return target


def digests(path: Path, names: tuple[str, ...] = ("sha256",)) -> dict[str, str]:
    """Hex digests of a file's bytes, read once (``sha256``, ``sha1``, ``sha512``)."""
    hashers = {name: hashlib.new(name) for name in names}
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            for h in hashers.values():
                h.update(block)
    return {name: h.hexdigest() for name, h in hashers.items()}


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of a file."""
    with path.open("rb") as f:
        return f.read(size)
