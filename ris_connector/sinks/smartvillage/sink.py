"""Upcoming meetings into the Smart Village mainserver as event records, with a local id map.

Each run maps every upcoming meeting to complete ``createEventRecord`` variables and sends
those whose content changed since the last successful send (new, changed, cancelled). The
mainserver has no status field, so a cancelled or postponed meeting is sent again with a marker
in title and description. A meeting deleted at the source is destroyed on the mainserver.
The map (our id -> mainserver id and the hash of what was sent) lives in the store's kv table.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ris_connector.clock import Clock, SystemClock
from ris_connector.errors import DeliveryError
from ris_connector.models import Meeting, MeetingStatus
from ris_connector.sinks.smartvillage.client import MainserverClient
from ris_connector.sinks.smartvillage.documents import CREATE_EVENT_RECORD, DESTROY_EVENT_RECORD
from ris_connector.sinks.smartvillage.mapping import DEFAULT_CATEGORY, event_record
from ris_connector.store import Store

log = logging.getLogger(__name__)

#: Statuses a meeting never gets created with (updated with a marker if already sent).
_NOT_ANNOUNCED = frozenset({MeetingStatus.CANCELLED, MeetingStatus.POSTPONED})


def map_namespace(base_url: str) -> str:
    """The kv namespace of the id map for one mainserver."""
    return f"smartvillage.ids.{urlsplit(base_url).netloc.lower()}"


@dataclass(frozen=True)
class Operation:
    """One GraphQL call the sink sends (or, in a dry run, would send)."""

    action: str  # create | update | destroy
    record_id: str
    query: str
    variables: dict[str, Any]
    digest: str = ""


@dataclass
class SinkReport:
    """What one run did."""

    created: int = 0
    updated: int = 0
    destroyed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, action: str) -> None:
        """Count one done (or, in a dry run, planned) operation."""
        name = {"create": "created", "update": "updated", "destroy": "destroyed"}[action]
        setattr(self, name, getattr(self, name) + 1)

    def to_json_dict(self) -> dict[str, Any]:
        """Counts and error messages as JSON."""
        return {
            "created": self.created,
            "updated": self.updated,
            "destroyed": self.destroyed,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
            "errors": self.errors,
        }


def _digest(variables: dict[str, Any]) -> str:
    text = json.dumps(variables, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SmartVillageSink:
    """Plans and sends the event records of one mainserver."""

    def __init__(
        self,
        store: Store,
        base_url: str,
        *,
        category: str = DEFAULT_CATEGORY,
        horizon: timedelta = timedelta(days=90),
        clock: Clock | None = None,
        source: str | None = None,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.namespace = map_namespace(base_url)
        self.category = category
        self.horizon = horizon
        self.clock = clock or SystemClock()
        self.source = source

    def id_map(self) -> dict[str, dict[str, Any]]:
        """Our record id -> {"id": mainserver id, "hash": what was sent, ...}."""
        return {k: json.loads(v) for k, v in self.store.kv_items(self.namespace).items()}

    def _upcoming(self, now: datetime) -> list[Meeting]:
        until = now + self.horizon
        out: list[Meeting] = []
        for row in self.store.iter_rows(type_name="Meeting", source=self.source):
            meeting = row.to_record()
            assert isinstance(meeting, Meeting)
            if meeting.start is not None and now <= meeting.start <= until:
                out.append(meeting)
        return sorted(out, key=lambda m: (m.start, m.id))

    def plan(self, report: SinkReport | None = None) -> list[Operation]:
        """The calls needed to bring the mainserver up to date, in order."""
        report = report if report is not None else SinkReport()
        known = self.id_map()
        ops: list[Operation] = []
        for meeting in self._upcoming(self.clock.now()):
            entry = known.get(meeting.id)
            remote = entry.get("id") if entry and not entry.get("destroyed") else None
            if remote is None and meeting.status in _NOT_ANNOUNCED:
                report.skipped += 1
                continue
            variables = event_record(self.store, meeting, category=self.category)
            digest = _digest(variables)
            if remote is not None and entry and entry.get("hash") == digest:
                report.unchanged += 1
                continue
            if remote is not None:
                variables = {"id": str(remote), **variables}
            ops.append(Operation("update" if remote else "create", meeting.id, CREATE_EVENT_RECORD, variables, digest))
        for record_id, entry in sorted(known.items()):
            if entry.get("destroyed") or not entry.get("id"):
                continue
            row = self.store.get(record_id)
            if row is None or row.deleted:
                ops.append(Operation("destroy", record_id, DESTROY_EVENT_RECORD, {"id": str(entry["id"])}))
        return ops

    def run(
        self,
        client: MainserverClient | None,
        *,
        dry_run: bool = False,
        show: Callable[[Operation], None] | None = None,
    ) -> SinkReport:
        """Send the planned calls (``dry_run``: only pass them to ``show``); one failure does not stop the rest."""
        report = SinkReport()
        for op in self.plan(report):
            if show is not None:
                show(op)
            if dry_run:
                report.count(op.action)
                continue
            assert client is not None, "a client is needed unless dry_run"
            try:
                self._send(client, op)
            except DeliveryError as exc:
                report.failed += 1
                report.errors.append(f"{op.action} {op.record_id}: {exc}")
                log.warning("mainserver %s of %s failed: %s", op.action, op.record_id, exc)
                continue
            report.count(op.action)
        return report

    def _send(self, client: MainserverClient, op: Operation) -> None:
        what = f"{op.action} event record for {op.record_id}"
        data = client.execute(op.query, op.variables, what=what)
        if op.action == "destroy":
            entry = {"id": op.variables["id"], "destroyed": True, "at": self.clock.now().isoformat()}
        else:
            result = data.get("createEventRecord")
            remote = result.get("id") if isinstance(result, dict) else None
            if remote is None:
                raise DeliveryError(f"{what}: the answer holds no record id", retryable=False)
            entry = {"id": str(remote), "hash": op.digest, "at": self.clock.now().isoformat()}
        self.store.kv_set(self.namespace, op.record_id, json.dumps(entry))
