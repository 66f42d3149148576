"""Walk an OParl endpoint over HTTP: every URL below its base, reached from the System."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Walk:
    """What a walk saw: every document by URL, and the objects found in them."""

    base: str
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: list[dict[str, Any]] = field(default_factory=list)
    """Every object met: each standalone document, each list entry, each embedded object."""

    def texts(self) -> str:
        """All served JSON as one text, for absence checks."""
        import json

        return "\n".join(json.dumps(d, ensure_ascii=False) for d in self.documents.values())


def _urls(value: Any, base: str, key: str = "") -> list[str]:
    if isinstance(value, str):
        return [value] if not key.startswith("ris:") and value.startswith(base + "/") else []
    if isinstance(value, list):
        return [u for v in value for u in _urls(v, base, key)]
    if isinstance(value, dict):
        return [u for k, v in value.items() for u in _urls(v, base, k)]
    return []


def _collect(value: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(value, dict):
        if "type" in value and "id" in value:
            out.append(value)
        for v in value.values():
            _collect(v, out)
    elif isinstance(value, list):
        for v in value:
            _collect(v, out)


def walk(
    system_url: str, base: str, *, session: requests.Session | None = None, skip: Callable[[str], bool] | None = None
) -> Walk:
    """GET every URL reachable from ``system_url`` that starts with ``base``; each must answer 200 JSON.

    ``skip(url)`` true: not fetched (e.g. the URLs of mirrored documents, which are not JSON).
    """
    http = session or requests.Session()
    result = Walk(base)
    queue = deque([system_url])
    seen = {system_url}
    while queue:
        url = queue.popleft()
        resp = http.get(url, timeout=30)
        assert resp.status_code == 200, f"{url}: HTTP {resp.status_code} {resp.text[:200]}"
        assert resp.headers["Content-Type"].startswith("application/json"), url
        assert not resp.content.startswith(b"\xef\xbb\xbf"), f"{url}: BOM"
        doc = resp.json()
        result.documents[url] = doc
        _collect(doc, result.objects)
        for found in _urls(doc, base):
            if found not in seen and not (skip and skip(found)):
                seen.add(found)
                queue.append(found)
    return result
