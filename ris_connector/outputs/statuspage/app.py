"""The status page as a WSGI application (``serve`` mounts it at ``/status``).

Routes: ``/status`` (every source), ``/status/source/<name>`` (one source and its run history),
``/status/source/<name>/quarantine/<qid>`` (a quarantined payload, as plain text),
``/status/status.css``. Only GET and HEAD; every answer carries a Content-Security-Policy that
allows no script at all, and payloads are served as ``text/plain`` with ``nosniff`` and a
sandbox, so hostile bytes from a source are never run or rendered as HTML.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from importlib import resources
from typing import Any
from urllib.parse import unquote

from ris_connector.config import parse_duration
from ris_connector.health import DEFAULT_MAX_AGE
from ris_connector.outputs.statuspage.model import overview, quarantined_payload, source_detail
from ris_connector.outputs.statuspage.render import Paths, overview_page, payload_text, source_page
from ris_connector.store import Store

StartResponse = Callable[..., Any]
#: Changes on the overview (a source's page shows more).
OVERVIEW_CHANGES = 15
PAGE_CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
TEXT_CSP = "default-src 'none'; sandbox"
_SECURITY = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store")]


class StatusPage:
    """WSGI app of the status page over ``store``.

    ``limits``: a fleet's sources with their staleness limit (listed even before their first
    run); other sources are stale after ``max_age`` seconds (default 26 h). Store reads are
    serialized (one request at a time reads the store).
    """

    def __init__(
        self,
        store: Store,
        *,
        max_age: float | None = None,
        limits: Mapping[str, float] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.max_age = max_age if max_age is not None else parse_duration(DEFAULT_MAX_AGE)
        self.limits = dict(limits or {})
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()
        self._css = resources.files(__package__).joinpath("status.css").read_bytes()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _answer(start_response, 405, b"only GET and HEAD\n", "text/plain; charset=utf-8", head=False)
        paths = Paths(environ.get("SCRIPT_NAME", ""))
        parts = [unquote(p) for p in environ.get("PATH_INFO", "").split("/") if p]
        status, body, ctype = self.route(parts, paths)
        return _answer(start_response, status, body, ctype, head=method == "HEAD")

    def route(self, parts: list[str], paths: Paths) -> tuple[int, bytes, str]:
        """(HTTP status, body, content type) for a path split into its decoded segments."""
        html = "text/html; charset=utf-8"
        now = self._now()
        if parts == ["status"]:
            with self._lock:
                views = overview(self.store, now=now, max_age=self.max_age, limits=self.limits)
                changes = self.store.recent_changes(limit=OVERVIEW_CHANGES)
            return 200, overview_page(views, changes, paths=paths, now=now), html
        if parts == ["status", "status.css"]:
            return 200, self._css, "text/css; charset=utf-8"
        if len(parts) == 3 and parts[:2] == ["status", "source"]:
            name = parts[2]
            with self._lock:
                detail = source_detail(self.store, name, now=now, max_age=self.limits.get(name, self.max_age))
            if detail is None:
                return 404, f"no runs of source {name!r}\n".encode(), "text/plain; charset=utf-8"
            return 200, source_page(detail, paths=paths, now=now), html
        if len(parts) == 5 and parts[:2] == ["status", "source"] and parts[3] == "quarantine" and parts[4].isdigit():
            with self._lock:
                row = quarantined_payload(self.store, parts[2], int(parts[4]))
            if row is None:
                return 404, b"no such quarantined record\n", "text/plain; charset=utf-8"
            return 200, payload_text(row), "text/plain; charset=utf-8"
        return 404, b"not found\n", "text/plain; charset=utf-8"


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}


def _answer(start_response: StartResponse, status: int, body: bytes, ctype: str, *, head: bool) -> list[bytes]:
    csp = PAGE_CSP if ctype.startswith(("text/html", "text/css")) else TEXT_CSP
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), ("Content-Security-Policy", csp)]
    start_response(f"{status} {_REASONS.get(status, 'Error')}", headers + _SECURITY)
    return [b""] if head else [body]
