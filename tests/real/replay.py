"""Replay recorded RIS output through the real command line, as a user would run it.

The recordings in ``tests/fixtures/real/`` are served unchanged by a server on 127.0.0.1; the only
change at serve time is the origin (``https://host`` of the recorded source becomes the local
server), because the library must not leave 127.0.0.1 in tests. ``ris-connector sync`` runs as a
subprocess into a fresh SQLite file and its ``--json`` report, ``export`` and ``changes`` are read
back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ris_connector.adapters.oparl.adapter import LISTS_1_1
from ris_connector.testing import LocalServer, Reply, Request

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"

#: Query parameters the adapter adds on its own (paging size, change filters): a recorded page
#: answers whatever they say, as the recording holds one answer only.
CLIENT_PARAMS = {"limit", "modified_since", "modified_until", "created_since", "created_until"}


def _key(path: str, query: str) -> str:
    pairs = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in CLIENT_PARAMS)
    return path + ("?" + urlencode(pairs) if pairs else "")


class RecordedServer(LocalServer):
    """Serves recorded bodies by path and query; ``origin`` in them is replaced by the server's."""

    def __init__(self, origin: str = "") -> None:
        super().__init__(fallback=self._page, name="recorded-server")
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.origin = origin

    def _page(self, request: Request) -> Reply:
        page = self.pages.get(_key(request.path, request.query_string))
        return Reply(200, page[0], page[1]) if page else Reply(404, b"not found")

    @property
    def base(self) -> str:
        return self.base_url

    def local(self, text: str) -> str:
        """``text`` with the recorded origin replaced by this server's."""
        return text.replace(self.origin, self.base) if self.origin else text

    def put(self, url_or_path: str, body: bytes | str, content_type: str = "application/json") -> str:
        """Serve ``body`` at a recorded URL (or a path); returns the local URL."""
        local = self.local(url_or_path)
        parts = urlsplit(local)
        data = body.encode("utf-8") if isinstance(body, str) else body
        if self.origin:
            data = data.replace(self.origin.encode(), self.base.encode())
        self.pages[_key(parts.path, parts.query)] = (data, content_type)
        return self.base + _key(parts.path, parts.query)

    def asked(self) -> list[str]:
        """The keys (path and recorded query) asked for, in order."""
        return [_key(r.path, r.query_string) for r in self.requests]


@dataclass
class Run:
    """One ``ris-connector sync --json`` run: exit status, report, stderr."""

    returncode: int
    report: dict[str, Any]
    stderr: str

    def counts(self, type_name: str) -> dict[str, int]:
        return dict(self.report["counts"].get(type_name, {}))

    def warnings(self) -> dict[str, int]:
        return {w["code"]: w["count"] for w in self.report.get("warnings", [])}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ris_connector", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def sync(db: Path, *args: str) -> Run:
    """``ris-connector sync ARGS --db DB --json``; fails the test on a traceback."""
    proc = _cli("sync", *args, "--db", str(db), "--json", cwd=db.parent)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return Run(proc.returncode, report, proc.stderr)


def export(db: Path, type_name: str) -> list[dict[str, Any]]:
    proc = _cli("export", "--db", str(db), "--type", type_name, cwd=db.parent)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def changes(db: Path, after: int = 0) -> list[dict[str, Any]]:
    proc = _cli("changes", "--db", str(db), "--after", str(after), cwd=db.parent)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def last_seq(db: Path) -> int:
    events = changes(db)
    return max((e["seq"] for e in events), default=0)


def event_counts(events: list[dict[str, Any]]) -> Counter[str]:
    """``{"created": n, "updated": n, "deleted": n}`` over a slice of the change feed."""
    return Counter(e["kind"] for e in events)


@dataclass
class OParlFixture:
    """A recorded OParl source: System and Body wrappers (synthetic) plus the recorded lists."""

    origin: str
    system_url: str
    system: dict[str, Any]
    bodies_url: str
    body: dict[str, Any]
    lists: dict[str, list[dict[str, Any]] | bytes] = field(default_factory=dict)

    def serve(self, server: RecordedServer) -> str:
        """Put everything on ``server``; a list URL without a recording answers an empty page."""
        server.put(self.system_url, json.dumps(self.system))
        server.put(self.bodies_url, json.dumps({"data": [self.body], "links": {}, "pagination": {}}))
        for key in LISTS_1_1:
            url = self.body.get(key)
            if isinstance(url, str) and url not in self.lists:
                server.put(url, json.dumps({"data": [], "links": {}, "pagination": {}}))
        for url, page in self.lists.items():
            server.put(
                url, page if isinstance(page, bytes) else json.dumps({"data": page, "links": {}, "pagination": {}})
            )
        return server.local(self.system_url)


@dataclass
class OParlReplay:
    """A first sync, then the same data again incrementally and in full, of one OParl fixture."""

    first: Run
    incremental: Run
    full: Run
    events_after_first: list[dict[str, Any]]
    requested: list[str]
    local: Any


def replay_oparl(fixture: OParlFixture, name: str, db: Path) -> OParlReplay:
    """Serve ``fixture`` and sync it three times (first, unchanged incremental, unchanged full)."""
    with RecordedServer(fixture.origin) as server:
        url = fixture.serve(server)
        first = sync(db, "--oparl", url, "--name", name)
        seq = last_seq(db)
        incremental = sync(db, "--oparl", url, "--name", name)
        full = sync(db, "--oparl", url, "--name", name, "--full")
        return OParlReplay(first, incremental, full, changes(db, seq), server.asked(), server.local)


def assert_silent(run: Run) -> None:
    """An unchanged run: exit 0, nothing created, updated, deleted or quarantined."""
    assert run.returncode == 0, run.report.get("errors")
    totals = run.report["totals"]
    assert totals["created"] == totals["updated"] == totals["deleted"] == totals["quarantined"] == 0, totals
