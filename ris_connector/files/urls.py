"""Which URLs to try for a File, with the repairs a client can make for broken vendor URLs.

Repairs (quirk list rows 8 and 9, both Sternberg SD.NET RIM):

* ``double-slash``: ``//`` inside the path (``.../files//rim/...``) is collapsed to ``/``; the
  repaired URL replaces the original (web servers treat both alike, the repaired one is canonical).
* ``doubled-extension``: a last path segment ending in the same extension twice
  (``vorlage.eml.eml``) that answers 404 is retried with ``.pdf`` as the last extension
  (``vorlage.eml.pdf``), which is where the vendor really serves the converted document.

``downloadUrl`` is tried first, then ``accessUrl``; duplicates are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_SLASHES = re.compile(r"/{2,}")
_DOUBLED = re.compile(r"\.([A-Za-z0-9]{2,5})\.\1$", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """One URL to try; ``repair`` names the repair that produced it, if any."""

    url: str
    field: str
    repair: str | None = None
    fallback: Candidate | None = None
    """Tried when this URL answers 404 (the doubled-extension repair)."""


def collapse_slashes(url: str) -> str:
    """``http://h/a//b`` -> ``http://h/a/b`` (the path only; scheme and host are left alone)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=_SLASHES.sub("/", parts.path)))


def doubled_extension_fix(url: str) -> str | None:
    """``.../x.eml.eml`` -> ``.../x.eml.pdf``; None if the URL has no doubled extension to fix."""
    parts = urlsplit(url)
    match = _DOUBLED.search(parts.path)
    if match is None or match.group(1).lower() == "pdf":
        return None
    path = parts.path[: match.end(1) + 1] + "pdf"
    return urlunsplit(parts._replace(path=path))


def candidates(download_url: str | None, access_url: str | None) -> list[Candidate]:
    """The URLs to try for a File, in order, each with its repairs applied or prepared."""
    out: list[Candidate] = []
    seen: set[str] = set()
    for field, url in (("downloadUrl", download_url), ("accessUrl", access_url)):
        if not url or not url.strip():
            continue
        url = url.strip()
        fixed = collapse_slashes(url)
        repair = "double-slash" if fixed != url else None
        if fixed in seen:
            continue
        seen.add(fixed)
        alt = doubled_extension_fix(fixed)
        fallback = Candidate(alt, field, "doubled-extension") if alt and alt not in seen else None
        out.append(Candidate(fixed, field, repair, fallback))
    return out
