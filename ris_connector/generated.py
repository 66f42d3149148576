"""Files generated from the code (the JSON Schemas, the quirk catalogue page): written, or checked.

A generated file is never edited by hand; a check (``--check``, run by a test) says which files
differ from what the code renders now, so a change of the code cannot leave its page stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def stale_files(target: Path, rendered: Mapping[str, str], *, pattern: str | None = None) -> list[Path]:
    """The files under ``target`` that differ from ``rendered`` (name -> text) or are missing;
    with ``pattern``, also the files matching it that nothing renders any more."""
    stale = [target / n for n, text in rendered.items() if not _same(target / n, text)]
    if pattern is not None and target.is_dir():
        stale += sorted(p for p in target.glob(pattern) if p.name not in rendered)
    return stale


def write_files(target: Path, rendered: Mapping[str, str]) -> None:
    """Write every rendered file under ``target`` (created if missing)."""
    target.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (target / name).write_text(text, encoding="utf-8")


def _same(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text("utf-8") == text
